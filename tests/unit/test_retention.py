from __future__ import annotations

from bot.core.effects import apply_effects
from bot.core.model import Participant
from bot.core.retention import due_for_shredding
from bot.ids import MatrixUserId, ParticipantId

DAY = 86_400.0
BASE = Participant(pseudonym=ParticipantId("p1"), matrix_id=MatrixUserId("@a:b"), language="sv")


def test_withdrawal_starts_the_retention_clock_once() -> None:
    consented = apply_effects(BASE, [{"type": "consent_given", "version": "v1"}], now=1.0)
    left = apply_effects(consented, [{"type": "consent_withdrawn"}], now=10.0)
    assert left.left_at == 10.0
    again = apply_effects(left, [{"type": "consent_withdrawn"}], now=20.0)
    assert again.left_at == 10.0


def test_coming_back_stops_the_clock() -> None:
    left = apply_effects(BASE, [{"type": "consent_withdrawn"}], now=10.0)
    back = apply_effects(left, [{"type": "consent_given", "version": "v1"}], now=11.0)
    assert back.left_at is None


def test_due_only_after_the_limit() -> None:
    left = apply_effects(BASE, [{"type": "consent_withdrawn"}], now=0.0)
    assert not due_for_shredding(left, now=29 * DAY, max_age_seconds=30 * DAY)
    assert due_for_shredding(left, now=30 * DAY, max_age_seconds=30 * DAY)
    assert not due_for_shredding(BASE, now=1e12, max_age_seconds=30 * DAY)
