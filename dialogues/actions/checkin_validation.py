"""validate_checkin_form: every answer is accepted as free text and reported.

Each answer becomes one ``checkin_answer`` effect. A few answers also shape
the rest of the check-in:

- mood: a lone number outside 1-5 is asked again; a low or high score gets a
  short acknowledgement;
- harm_thoughts: anything but a clear "no" ends the form with
  ``harm_disclosed`` set, and a rule moves on to the safety flow;
- mediator: a "yes" also emits ``handoff_requested`` (participant_asked).

Flags for the closing's reflection (``checkin_flags``) come from the intent
of the answer, never from its text. Nothing here logs an answer.
"""

from __future__ import annotations

import logging
from typing import Any, Final

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from dialogues.actions import content, effects, gateway
from dialogues.actions.checkin import (
    DISCLOSED_SLOT,
    FLAGS_SLOT,
    QUESTIONS,
    answer_value,
    scale_value,
)

logger = logging.getLogger(__name__)

YES: Final = frozenset({"affirm"})
NO: Final = frozenset({"deny"})
# (question, answer intents) -> flag for the closing's reflection
FLAG_RULES: Final = (
    ("agreements", YES, "agreements_held"),
    ("conflict", NO, "no_conflict"),
    ("substances", NO, "no_substances"),
    ("support", YES, "support_used"),
)
MEDIATOR_YES: Final = frozenset({"affirm", "request_human"})


def _flags(tracker: Tracker, *new: str) -> list[str]:
    current = tracker.get_slot(FLAGS_SLOT)
    flags = [str(flag) for flag in current] if isinstance(current, list) else []
    return flags + [flag for flag in new if flag not in flags]


class ValidateCheckinForm(FormValidationAction):
    def name(self) -> str:
        return "validate_checkin_form"

    def _accept(
        self, question: str, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> dict[str, Any]:
        logger.debug("%s: %s", self.name(), question)
        text = slot_value.strip() if isinstance(slot_value, str) else ""
        # no answer is kept or reported without consent (the rules never start
        # the form without it; this guards against a withdrawal mid-form)
        if not text or tracker.get_slot("consented") is not True:
            return {question: None}
        language = gateway.language(tracker)
        intent = gateway.latest_intent(tracker)
        result: dict[str, Any] = {question: text}
        emitted = [effects.checkin_answer(question, answer_value(question, text))]
        if question == "mood":
            number, words = scale_value(text)
            if number is not None and not 1 <= number <= 5 and not words:
                dispatcher.utter_message(text=content.checkin_text(language, "acks", "scale_hint"))
                return {question: None}
            if number is not None and number >= 4:
                dispatcher.utter_message(text=content.checkin_text(language, "acks", "good"))
                result[FLAGS_SLOT] = _flags(tracker, "mood_good")
            elif (number is not None and number <= 2) or intent == "distress":
                dispatcher.utter_message(text=content.checkin_text(language, "acks", "hard"))
        elif question == "harm_thoughts" and intent not in NO:
            # not a clear no: leave the form; the safety flow takes over
            result[DISCLOSED_SLOT] = True
            result["requested_slot"] = None
        elif question == "mediator" and intent in MEDIATOR_YES:
            emitted.append(effects.handoff_requested("participant_asked"))
            result[FLAGS_SLOT] = _flags(tracker, "mediator_requested")
        for rule_question, intents, flag in FLAG_RULES:
            if question == rule_question and intent in intents:
                result[FLAGS_SLOT] = _flags(tracker, flag)
        effects.emit(dispatcher, *emitted)
        return result


def _validator(question: str) -> Any:
    def validate(
        self: ValidateCheckinForm,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        return self._accept(question, slot_value, dispatcher, tracker)

    return validate


# validate_mood, validate_contact, ... one per question, all through _accept
for _question in QUESTIONS:
    setattr(ValidateCheckinForm, f"validate_{_question}", _validator(_question))
