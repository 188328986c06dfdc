from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from bot.core.effects import EffectValidator, InvalidEffects
from bot.core.model import TurnPlan
from bot.core.replies import answered_or, plan_replies

SCHEMA = Path(__file__).resolve().parents[2] / "dialogues" / "effects.schema.json"
VALIDATE = EffectValidator(SCHEMA)


def question(text: str) -> dict[str, Any]:
    return {"custom": {"samtal": {"kind": "checkin_question", "question": "mood", "text": text}}}


def effects(*items: Mapping[str, Any]) -> dict[str, Any]:
    return {"custom": {"samtal": {"kind": "effects", "effects": list(items)}}}


def plan(messages: list[dict[str, Any]], consented: bool):
    return plan_replies(
        messages, consented=consented, consent_version="v1", validate_effects=VALIDATE
    )


def test_questions_are_blocked_without_consent() -> None:
    result = plan([{"text": "Hej!"}, question("Hur mår du?")], consented=False)
    assert result.replies == ("Hej!",)
    assert result.blocked_questions == 1


def test_questions_pass_with_consent() -> None:
    result = plan([question("Hur mår du?")], consented=True)
    assert result.replies == ("Hur mår du?",)
    assert result.blocked_questions == 0


def test_consent_given_in_the_same_turn_opens_the_gate() -> None:
    messages = [effects({"type": "consent_given", "version": "v1"}), question("Hur mår du?")]
    result = plan(messages, consented=False)
    assert result.replies == ("Hur mår du?",)
    assert result.effects == ({"type": "consent_given", "version": "v1"},)


def test_consent_to_an_old_version_does_not_open_the_gate() -> None:
    messages = [effects({"type": "consent_given", "version": "v0"}), question("Hur mår du?")]
    assert plan(messages, consented=False).blocked_questions == 1


def test_malformed_effects_are_rejected() -> None:
    with pytest.raises(InvalidEffects):
        plan([effects({"type": "no_such_effect"})], consented=True)


def test_very_long_replies_are_cut() -> None:
    result = plan([{"text": "x" * 10_000}], consented=True)
    assert len(result.replies[0]) == 4000


def test_a_document_is_one_message_blank_lines_and_all() -> None:
    text = "I'm samtal.\n\nIt is voluntary.\n\nAt any time you can write “pause”."
    document = {"custom": {"samtal": {"kind": "document", "text": text}}}
    result = plan([{"text": "Hi!"}, document, {"text": "Is that OK?"}], consented=False)
    assert result.replies == ("Hi!", text, "Is that OK?")
    assert plan([{"custom": {"samtal": {"kind": "document", "text": " "}}}], False).replies == ()


def test_a_dialogue_answer_with_nothing_in_it_gets_the_fallback() -> None:
    """Rasa answers a turn with nothing when a custom action fails (its action
    server restarting, say); the participant still hears from the bot."""
    empty = TurnPlan(replies=())
    assert answered_or(empty, "fallback").replies == ("fallback",)
    spoken = TurnPlan(replies=("hej",))
    assert answered_or(spoken, "fallback") == spoken
    # Effects with no text were the dialogue's own choice: nothing is added.
    silent = TurnPlan(replies=(), effects=({"type": "paused"},))
    assert answered_or(silent, "fallback") == silent
