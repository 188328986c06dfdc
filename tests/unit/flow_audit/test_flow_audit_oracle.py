"""Reading replies like the gateway does, and judging probe turns."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from safety.flow_audit import Property
from safety.flow_audit.oracle import at_least, read_reply
from safety.flow_audit.probes import judge
from safety.flow_audit.scenarios import Turn
from safety.flow_audit.schema import load_validator

PROJECT = Path(__file__).resolve().parents[3]
VALIDATE = load_validator(PROJECT)
NAMES = {
    "Vill du ta tillbaka ditt samtycke?": "utter_ask_confirm_withdraw",
    "Ring 112.": "utter_safety_imminent",
}


def effects(*items: dict[str, Any]) -> dict[str, Any]:
    return {"custom": {"samtal": {"kind": "effects", "effects": list(items)}}}


def question(name: str) -> dict[str, Any]:
    return {"custom": {"samtal": {"kind": "checkin_question", "question": name, "text": "?"}}}


def test_consent_in_the_same_reply_opens_the_gate_in_order() -> None:
    reply = read_reply(
        [question("mood"), effects({"type": "consent_given", "version": "v1"}), question("mood")],
        False,
        VALIDATE,
        NAMES,
    )
    assert reply.unconsented_questions == ["mood"]
    assert reply.consented_after


def test_withdrawal_closes_the_gate() -> None:
    reply = read_reply(
        [effects({"type": "consent_withdrawn"}), question("contact")], True, VALIDATE, NAMES
    )
    assert reply.unconsented_questions == ["contact"]
    assert not reply.consented_after


def test_effects_that_break_the_schema_are_contract_problems() -> None:
    reply = read_reply(
        [effects({"type": "risk_flag", "level": "severe", "signals": ["x"]})], True, VALIDATE, NAMES
    )
    assert reply.contract_problems
    assert reply.effects == []


def test_unknown_custom_payloads_are_contract_problems() -> None:
    reply = read_reply([{"custom": {"other": 1}}], True, VALIDATE, NAMES)
    assert reply.contract_problems


def test_risk_levels_are_ordered() -> None:
    assert at_least("imminent", "high")
    assert at_least("high", "high")
    assert not at_least("elevated", "high")


def test_a_withdraw_probe_must_get_the_confirmation() -> None:
    turn = Turn("text", text="/withdraw_consent", probe="withdraw")
    good = read_reply([{"text": "Vill du ta tillbaka ditt samtycke?"}], True, VALIDATE, NAMES)
    bad = read_reply([question("mood")], True, VALIDATE, NAMES)
    assert judge(turn, good, "w") == []
    assert {v.prop for v in judge(turn, bad, "w")} == {Property.WITHDRAW}


def test_a_yes_to_withdrawal_must_withdraw() -> None:
    turn = Turn("text", text="/affirm", probe="withdraw_yes")
    assert judge(turn, read_reply([], True, VALIDATE, NAMES), "w")
    done = read_reply([effects({"type": "consent_withdrawn"})], True, VALIDATE, NAMES)
    assert judge(turn, done, "w") == []


def test_a_risk_probe_needs_the_flag_the_words_and_112_when_imminent() -> None:
    turn = Turn("trigger", intent="EXTERNAL_risk_detected", probe="risk", level="imminent")
    flag = effects({"type": "risk_flag", "level": "imminent", "signals": ["safety_screen"]})
    good = read_reply([flag, {"text": "Ring 112."}], False, VALIDATE, NAMES)
    assert judge(turn, good, "r") == []
    low = effects({"type": "risk_flag", "level": "high", "signals": ["safety_screen"]})
    assert judge(turn, read_reply([low, {"text": "Ring 112."}], False, VALIDATE, NAMES), "r")
    assert judge(turn, read_reply([flag], False, VALIDATE, NAMES), "r")
    continuing = read_reply(
        [flag, {"text": "Ring 112."}, question("stress")], True, VALIDATE, NAMES
    )
    assert judge(turn, continuing, "r")
