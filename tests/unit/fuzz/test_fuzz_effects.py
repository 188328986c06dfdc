"""Fuzzing effects validation: whatever the dialogue returns, the gateway either takes
effects that match the schema exactly or refuses them with InvalidEffects."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from bot.core.effects import EffectValidator, InvalidEffects, apply_effects
from bot.core.model import Participant
from bot.core.replies import MAX_REPLY_CHARS, plan_replies
from bot.ids import MatrixUserId, ParticipantId

SCHEMA = Path(__file__).resolve().parents[3] / "dialogues" / "effects.schema.json"
VALIDATE = EffectValidator(SCHEMA)
BASE = Participant(pseudonym=ParticipantId("p1"), matrix_id=MatrixUserId("@a:b"), language="sv")
TYPES = [
    "consent_given", "consent_declined", "consent_withdrawn", "checkin_answer",
    "checkin_completed", "paused", "resumed", "risk_flag", "handoff_requested",
    "deletion_requested", "language_changed", "unknown",
]  # fmt: skip
# What the schema means by its patterns (ECMAScript: `$` is the end of the string).
STRICT = {
    "version": re.compile(r"v[0-9]+"),
    "question": re.compile(r"[a-z][a-z0-9_]*"),
    "language": re.compile(r"[a-z]{2,3}"),
    "signal": re.compile(r"[a-z][a-z0-9_]{0,63}"),
}

any_char = st.characters(exclude_categories=())
near_miss = st.sampled_from(["v1", "v1\n", "sv", "sv\n", "en\n", "mood", "mood\n", "high", ""])
scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(any_char, max_size=8)
values = st.recursive(
    scalars | near_miss,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=6,
)
effect = st.fixed_dictionaries(
    {"type": st.sampled_from(TYPES) | values},
    optional={
        "version": near_miss | values,
        "question": near_miss | values,
        "value": values,
        "level": st.sampled_from(["elevated", "high", "imminent", "none"]) | values,
        "signals": st.lists(near_miss | st.text(max_size=5), max_size=3) | values,
        "reason": st.sampled_from(["participant_asked", "distress", "risk"]) | values,
        "language": near_miss | values,
        "extra": values,
    },
)
samtal_payload = st.fixed_dictionaries(
    {},
    optional={
        "kind": st.sampled_from(["effects", "checkin_question", "other"]) | values,
        "effects": st.lists(effect, max_size=4) | values,
        "text": values,
    },
)
message = st.fixed_dictionaries(
    {},
    optional={
        "text": st.text(any_char, max_size=20) | values,
        "custom": st.fixed_dictionaries({}, optional={"samtal": samtal_payload | values}) | values,
        "recipient_id": values,
    },
)


def _conforms(accepted: dict[str, Any]) -> bool:
    for key in ("version", "question", "language"):
        if key in accepted and not STRICT[key].fullmatch(accepted[key]):
            return False
    return all(STRICT["signal"].fullmatch(s) for s in accepted.get("signals", []))


@given(messages=st.lists(message, max_size=4), consented=st.booleans())
@example(
    messages=[{"custom": {"samtal": {"kind": "effects", "effects": [
        {"type": "language_changed", "language": "sv\n"}]}}}],
    consented=True,
)  # fmt: skip
def test_effects_are_taken_exactly_or_refused(messages: list[Any], consented: bool) -> None:
    try:
        plan = plan_replies(
            messages, consented=consented, consent_version="v1", validate_effects=VALIDATE
        )
    except InvalidEffects:
        return
    assert all(isinstance(r, str) and len(r) <= MAX_REPLY_CHARS for r in plan.replies)
    for accepted in plan.effects:
        assert accepted["type"] in TYPES[:-1]
        assert _conforms(accepted), accepted
    apply_effects(BASE, plan.effects, now=1.0)


@given(payload=samtal_payload | values)
def test_the_validator_refuses_with_its_own_error_only(payload: Any) -> None:
    if not isinstance(payload, dict):
        payload = {"kind": "effects", "effects": payload}
    try:
        VALIDATE(payload)
    except InvalidEffects:
        return
    assert payload["kind"] == "effects"
    assert all(_conforms(e) for e in payload["effects"])
