"""The check-in form: questions, one checkin_answer effect per answer, completion.

Questions are custom payloads ``{"samtal": {"kind": "checkin_question",
"question": <slot>, "text": ...}}``, never plain text, so the gateway can
enforce the consent gate. Texts: ``dialogues/checkin/<language>.yml``.
"""

from __future__ import annotations

import logging
import re
from abc import ABC, abstractmethod
from functools import cache
from pathlib import Path
from typing import Any, Final

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict
from ruamel.yaml import YAML

from dialogues.actions import effects, gateway

logger = logging.getLogger(__name__)

QUESTIONS: Final = ("mood", "contact", "support")
QUESTIONS_ROOT: Final = Path(__file__).resolve().parent.parent / "checkin"
# "3", "3.", "3/5": a number on the 1-5 scale is sent as an integer
_SCALE = re.compile(r"^([1-5])(?:[.!]|\s*/\s*5)?$")


def answer_value(question: str, text: str) -> str | int:
    if question == "mood" and (match := _SCALE.match(text)):
        return int(match.group(1))
    return text


@cache
def _questions(language: str) -> dict[str, str]:
    path = QUESTIONS_ROOT / f"{language}.yml"
    if not path.is_file():
        return {}
    data = YAML(typ="safe").load(path.read_text(encoding="utf-8")) or {}
    questions = data.get("questions", {})
    return {str(k): str(v) for k, v in questions.items()} if isinstance(questions, dict) else {}


def question_text(question: str, language: str) -> str:
    """The question in ``language``, else in the default language."""
    text = _questions(language).get(question) or _questions(gateway.DEFAULT_LANGUAGE).get(question)
    if not text:
        raise RuntimeError(f"no text for check-in question {question!r}")
    return text


def clear_answers() -> list[dict[str, Any]]:
    return [SlotSet(question, None) for question in QUESTIONS]


class AskCheckinQuestion(Action, ABC):
    """Asks one check-in question (Rasa calls action_ask_<slot> for it)."""

    question: str

    @abstractmethod
    def name(self) -> str: ...

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        logger.debug("running %s", self.name())
        text = question_text(self.question, gateway.language(tracker))
        dispatcher.utter_message(
            json_message={
                "samtal": {"kind": "checkin_question", "question": self.question, "text": text}
            }
        )
        return []


class ActionAskMood(AskCheckinQuestion):
    question = "mood"

    def name(self) -> str:
        return "action_ask_mood"


class ActionAskContact(AskCheckinQuestion):
    question = "contact"

    def name(self) -> str:
        return "action_ask_contact"


class ActionAskSupport(AskCheckinQuestion):
    question = "support"

    def name(self) -> str:
        return "action_ask_support"


class ValidateCheckinForm(FormValidationAction):
    """Accepts any non-empty text and reports it as a checkin_answer effect."""

    def name(self) -> str:
        return "validate_checkin_form"

    def _answer(
        self, question: str, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> dict[str, Any]:
        logger.debug("%s: %s", self.name(), question)
        text = slot_value.strip() if isinstance(slot_value, str) else ""
        # no answer is kept or reported without consent (the rules never start
        # the form without it; this guards against a withdrawal mid-form)
        if not text or tracker.get_slot("consented") is not True:
            return {question: None}
        effects.emit(dispatcher, effects.checkin_answer(question, answer_value(question, text)))
        return {question: text}

    def validate_mood(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        return self._answer("mood", slot_value, dispatcher, tracker)

    def validate_contact(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        return self._answer("contact", slot_value, dispatcher, tracker)

    def validate_support(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        return self._answer("support", slot_value, dispatcher, tracker)


class ActionCheckinCompleted(Action):
    """Reports the finished check-in and clears the answers for the next one."""

    def name(self) -> str:
        return "action_checkin_completed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        logger.debug("running %s", self.name())
        if tracker.get_slot("consented") is True:
            effects.emit(dispatcher, effects.checkin_completed())
        return clear_answers()
