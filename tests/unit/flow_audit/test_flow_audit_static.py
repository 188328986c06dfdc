"""The static audit passes on the project and catches each kind of break."""

from __future__ import annotations

import re
from pathlib import Path

from safety.flow_audit import Property, run_static_audit
from safety.flow_audit.actions_scan import scan_actions

PROJECT = Path(__file__).resolve().parents[3]


def _props(project: Path) -> set[Property]:
    return {v.prop for v in run_static_audit(project).violations}


def _edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def test_the_project_keeps_every_property() -> None:
    report = run_static_audit(PROJECT)
    assert report.violations == []
    assert report.rules > 50
    assert report.checks > 1000


def test_actions_are_mapped_to_their_effects() -> None:
    emits = scan_actions(PROJECT / "dialogues" / "actions")
    assert emits["action_flag_risk"] == {"risk_flag"}
    assert emits["action_withdraw_consent"] == {"consent_withdrawn"}
    assert emits["action_request_deletion"] == {"consent_withdrawn", "deletion_requested"}
    assert emits["action_handoff_risk"] == {"handoff_requested"}
    assert "consent_given" in emits["action_record_consent"]


def test_a_form_that_swallows_withdrawal_is_caught(dialogue_copy: Path) -> None:
    _edit(dialogue_copy / "dialogues" / "slots.yml", "          - withdraw_consent\n", "")
    assert Property.WITHDRAW in _props(dialogue_copy)


def test_a_missing_in_form_withdraw_rule_is_caught(dialogue_copy: Path) -> None:
    rules = dialogue_copy / "dialogues" / "rules" / "ways_out.yml"
    _edit(rules, "withdraw_consent in a check-in -> leave it first", "x")
    text = rules.read_text(encoding="utf-8")
    rules.write_text(re.sub(r"  - rule: x\n(    .*\n|      .*\n)+", "", text), encoding="utf-8")
    assert Property.WITHDRAW in _props(dialogue_copy)


def test_a_check_in_without_consent_is_caught(dialogue_copy: Path) -> None:
    rules = dialogue_copy / "dialogues" / "rules" / "checkin.yml"
    _edit(
        rules,
        "  - rule: check-in asked for, no consent yet -> consent exchange\n",
        "  - rule: check-in asked for, no consent yet -> straight in\n",
    )
    _edit(
        rules,
        "      - intent: checkin_request\n      - action: action_show_consent\n"
        "      - action: utter_ask_consent\n",
        "      - intent: checkin_request\n      - action: action_start_checkin\n"
        "      - action: checkin_form\n      - active_loop: checkin_form\n",
    )
    assert Property.CONSENT in _props(dialogue_copy)


def test_a_question_as_plain_text_is_caught(dialogue_copy: Path) -> None:
    responses = dialogue_copy / "dialogues" / "responses" / "checkin.yml"
    _edit(
        responses, '"responses":\n', '"responses":\n  utter_ask_mood:\n    - text: "Hur mår du?"\n'
    )
    assert Property.CONSENT in _props(dialogue_copy)


def test_a_risk_that_lets_the_check_in_go_on_is_caught(dialogue_copy: Path) -> None:
    rules = dialogue_copy / "dialogues" / "rules" / "safety.yml"
    _edit(
        rules,
        "      - action: utter_safety_self_harm\n      - action: utter_offer_human_risk\n\n"
        "  - rule: risk_harm_other -> safety flow",
        "      - action: utter_safety_self_harm\n      - action: checkin_form\n\n"
        "  - rule: risk_harm_other -> safety flow",
    )
    assert Property.RISK in _props(dialogue_copy)


def test_a_risk_without_risk_flag_is_caught(dialogue_copy: Path) -> None:
    safety = dialogue_copy / "dialogues" / "actions" / "safety.py"
    _edit(safety, "effects.emit(dispatcher, effects.risk_flag(level, [signal]))", "pass")
    assert Property.RISK in _props(dialogue_copy)


def test_imminent_without_the_emergency_number_is_caught(dialogue_copy: Path) -> None:
    responses = dialogue_copy / "dialogues" / "responses" / "safety.yml"
    text = responses.read_text(encoding="utf-8")
    responses.write_text(text.replace("Call 112", "Call for help"), encoding="utf-8")
    assert Property.RISK in _props(dialogue_copy)


def test_a_response_missing_a_language_is_caught(dialogue_copy: Path) -> None:
    responses = dialogue_copy / "dialogues" / "responses" / "support.yml"
    _edit(
        responses,
        "    - condition: [{type: slot, name: language, value: en}]\n"
        "      text: \"I can tell you're angry.",
        "    - condition: [{type: slot, name: language, value: xx}]\n"
        "      text: \"I can tell you're angry.",
    )
    assert Property.DATA in _props(dialogue_copy)


def test_a_held_out_example_in_training_is_caught(dialogue_copy: Path) -> None:
    heldout = dialogue_copy / "tests" / "nlu_heldout" / "en.yml"
    _edit(heldout, "      - hey you\n", "      - hello\n")
    assert Property.DATA in _props(dialogue_copy)
