"""The end of a check-in: a short reflection, the next time, support resources.

The reflection is chosen from ``checkin_flags`` (what went well, as set by
validation), never from the participant's words. The next check-in time comes
from the gateway's metadata (``next_checkin``, ISO 8601) when it sent one.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Final

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from dialogues.actions import content, effects, gateway
from dialogues.actions.checkin import FLAGS_SLOT, clear_answers

logger = logging.getLogger(__name__)

# Reflections in order of preference; at most MAX_REFLECTIONS are shown.
REFLECTION_ORDER: Final = (
    "agreements_held",
    "no_conflict",
    "mood_good",
    "no_substances",
    "support_used",
)
MAX_REFLECTIONS: Final = 2


def reflections(language: str, flags: list[str]) -> list[str]:
    chosen = [flag for flag in REFLECTION_ORDER if flag in flags][:MAX_REFLECTIONS]
    if not chosen:
        return [content.checkin_text(language, "closing", "reflections", "default")]
    return [content.checkin_text(language, "closing", "reflections", flag) for flag in chosen]


def parse_when(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None


def format_when(when: datetime, language: str) -> str:
    """``torsdag 28 november kl. 18.00`` from the words in checkin/<language>.yml."""
    weekdays = content.checkin_list(language, "calendar", "weekdays")
    months = content.checkin_list(language, "calendar", "months")
    pattern = content.checkin_text(language, "calendar", "format")
    return pattern.format(
        weekday=weekdays[when.weekday()] if len(weekdays) == 7 else "",
        day=when.day,
        month=months[when.month - 1] if len(months) == 12 else str(when.month),
        hour=when.hour,
        minute=when.minute,
    ).strip()


def closing_messages(language: str, flags: list[str], next_checkin: Any) -> list[str]:
    first = [content.checkin_text(language, "closing", "thanks"), *reflections(language, flags)]
    messages = [" ".join(first)]
    later = []
    if "mediator_requested" in flags:
        later.append(content.checkin_text(language, "closing", "mediator_requested"))
    when = parse_when(next_checkin)
    if when is not None:
        later.append(
            content.checkin_text(language, "closing", "next_checkin").format(
                when=format_when(when, language)
            )
        )
    if later:
        messages.append(" ".join(later))
    lines = content.resources(language)
    if lines:
        messages.append("\n".join([content.checkin_text(language, "closing", "resources"), *lines]))
    return messages


class ActionCheckinCompleted(Action):
    """Reports the finished check-in, closes it, and forgets the answers."""

    def name(self) -> str:
        return "action_checkin_completed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        logger.debug("running %s", self.name())
        if tracker.get_slot("consented") is True:
            effects.emit(dispatcher, effects.checkin_completed())
        raw_flags = tracker.get_slot(FLAGS_SLOT)
        flags = [str(flag) for flag in raw_flags] if isinstance(raw_flags, list) else []
        language = gateway.language(tracker)
        for message in closing_messages(language, flags, tracker.get_slot("next_checkin")):
            dispatcher.utter_message(text=message)
        return clear_answers()
