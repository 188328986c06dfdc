"""Turn the dialogue's output into replies and effects, enforcing consent.

The dialogue is trusted to run the consent exchange, but the gateway does not
depend on that: a check-in question is never sent to someone whose consent to
the current consent text is not on record, whatever Rasa says.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.core.model import TurnPlan

MAX_REPLY_CHARS = 4000


def plan_replies(
    rasa_messages: Sequence[Mapping[str, Any]],
    *,
    consented: bool,
    consent_version: str,
    validate_effects: Any,
) -> TurnPlan:
    replies: list[str] = []
    effects: list[dict[str, object]] = []
    blocked = 0
    for message in rasa_messages:
        text = message.get("text")
        if isinstance(text, str) and text.strip():
            replies.append(text[:MAX_REPLY_CHARS])
        payload = message.get("custom")
        if not isinstance(payload, Mapping):
            continue
        samtal = payload.get("samtal")
        if not isinstance(samtal, Mapping):
            continue
        kind = samtal.get("kind")
        if kind == "effects":
            validate_effects(samtal)
            for effect in samtal["effects"]:
                effects.append(dict(effect))
                if effect["type"] == "consent_given" and effect["version"] == consent_version:
                    consented = True
                elif effect["type"] in ("consent_declined", "consent_withdrawn"):
                    consented = False
        elif kind == "document":
            # One message however many paragraphs (Rasa would split a plain text).
            document = samtal.get("text")
            if isinstance(document, str) and document.strip():
                replies.append(document[:MAX_REPLY_CHARS])
        elif kind == "checkin_question":
            question_text = samtal.get("text")
            if not consented:
                blocked += 1
            elif isinstance(question_text, str) and question_text.strip():
                replies.append(question_text[:MAX_REPLY_CHARS])
    return TurnPlan(replies=tuple(replies), effects=tuple(effects), blocked_questions=blocked)


def answered_or(plan: TurnPlan, fallback: str) -> TurnPlan:
    """A dialogue answer with neither text nor effects gets ``fallback``.

    Rasa answers with nothing when a custom action fails (its action server is
    restarting, say); the participant must not be left without an answer. A
    plan with effects but no text is the dialogue's own choice and is kept.
    """
    if plan.replies or plan.effects:
        return plan
    return TurnPlan(replies=(fallback,))
