from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.effects import EffectValidator, InvalidEffects, apply_effects
from bot.core.model import Participant
from bot.ids import MatrixUserId, ParticipantId

BASE = Participant(pseudonym=ParticipantId("p1"), matrix_id=MatrixUserId("@a:b"), language="sv")


def test_consent_given_records_version_and_time() -> None:
    after = apply_effects(BASE, [{"type": "consent_given", "version": "v1"}], now=5.0)
    assert after.consent_version == "v1"
    assert after.consent_at == 5.0
    assert after.has_consented("v1")
    assert not after.has_consented("v2")


def test_declining_clears_consent() -> None:
    consented = apply_effects(BASE, [{"type": "consent_given", "version": "v1"}], now=1.0)
    after = apply_effects(consented, [{"type": "consent_declined"}], now=2.0)
    assert after.consent_version is None


def test_pause_and_resume() -> None:
    paused = apply_effects(BASE, [{"type": "paused"}], now=1.0)
    assert paused.paused
    assert not apply_effects(paused, [{"type": "resumed"}], now=2.0).paused


def test_applying_the_same_effects_twice_changes_nothing_more() -> None:
    effects = [{"type": "consent_given", "version": "v1"}, {"type": "paused"}]
    once = apply_effects(BASE, effects, now=3.0)
    assert apply_effects(once, effects, now=3.0) == once


def test_a_trailing_newline_does_not_pass_a_schema_pattern() -> None:
    # Python's `$` also matches before a final newline; the schema's patterns do not.
    validate = EffectValidator(
        Path(__file__).resolve().parents[2] / "dialogues" / "effects.schema.json"
    )
    validate({"kind": "effects", "effects": [{"type": "language_changed", "language": "sv"}]})
    for effect in (
        {"type": "language_changed", "language": "sv\n"},
        {"type": "consent_given", "version": "v1\n"},
        {"type": "risk_flag", "level": "high", "signals": ["weapon\n"]},
    ):
        with pytest.raises(InvalidEffects):
            validate({"kind": "effects", "effects": [effect]})
