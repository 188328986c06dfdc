"""The check-in form: its questions and its start.

Questions are custom payloads ``{"samtal": {"kind": "checkin_question",
"question": <slot>, "text": ...}}``, never plain text, so the gateway can
enforce the consent gate. Texts: ``dialogues/checkin/<language>.yml``.
Validation is in ``checkin_validation``, the closing in ``closing``.
"""

from __future__ import annotations

import logging
import re
from abc import ABC, abstractmethod
from typing import Any, Final

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from dialogues.actions import content, gateway

logger = logging.getLogger(__name__)

# The slots of checkin_form, in the order dialogues/forms.yml asks them.
QUESTIONS: Final = (
    "mood",
    "contact",
    "agreements",
    "conflict",
    "substances",
    "stress",
    "harm_thoughts",
    "support",
    "mediator",
)
# Set while a check-in runs; cleared when one starts and when one ends.
FLAGS_SLOT: Final = "checkin_flags"
DISCLOSED_SLOT: Final = "harm_disclosed"
# "3", "3.", "3/5", "3 av 5", "3 of 5", optionally followed by words
_SCALE = re.compile(r"^\s*([0-9]{1,2})\s*(?:[.!,]|/\s*5|(?:av|of)\s+5)?(?:\s+(.*))?$", re.S)


def scale_value(text: str) -> tuple[int | None, str]:
    """The leading number of an answer (if any) and the words after it."""
    match = _SCALE.match(text)
    if not match:
        return None, text.strip()
    return int(match.group(1)), (match.group(2) or "").strip()


def answer_value(question: str, text: str) -> str | int:
    """What the checkin_answer effect carries: 1-5 for a bare mood number."""
    if question == "mood":
        number, words = scale_value(text)
        if number is not None and 1 <= number <= 5 and not words:
            return number
    return text


def clear_answers() -> list[dict[str, Any]]:
    """Events that forget a check-in's answers (started, finished or left)."""
    return [
        *(SlotSet(question, None) for question in QUESTIONS),
        SlotSet(FLAGS_SLOT, []),
        SlotSet(DISCLOSED_SLOT, None),
    ]


def question_payload(question: str, language: str) -> dict[str, Any]:
    text = content.checkin_text(language, "questions", question)
    return {"samtal": {"kind": "checkin_question", "question": question, "text": text}}


class AskCheckinQuestion(Action, ABC):
    """Asks one check-in question (Rasa calls action_ask_<slot> for it)."""

    question: str = ""

    @abstractmethod
    def name(self) -> str: ...

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        logger.debug("running %s", self.name())
        dispatcher.utter_message(
            json_message=question_payload(self.question, gateway.language(tracker))
        )
        return []


def _ask_action(question: str) -> type[AskCheckinQuestion]:
    def name(self: AskCheckinQuestion) -> str:
        return f"action_ask_{question}"

    class_name = "ActionAsk" + question.title().replace("_", "")
    return type(class_name, (AskCheckinQuestion,), {"question": question, "name": name})


# One action per question: action_ask_mood, action_ask_contact, ...
ASK_ACTIONS: Final = tuple(_ask_action(question) for question in QUESTIONS)


class ActionStartCheckin(Action):
    """Runs right before checkin_form starts: every check-in starts empty."""

    def name(self) -> str:
        return "action_start_checkin"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        logger.debug("running %s", self.name())
        return clear_answers()
