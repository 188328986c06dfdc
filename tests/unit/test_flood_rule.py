"""A flood from one participant: bounded dialogue work, every message still kept."""

from __future__ import annotations

import pytest

from bot.core.flood import BACKLOG_LIMIT, Arrival, on_arrival
from bot.core.texts import text
from safety.risk.levels import RiskLevel


def test_a_short_backlog_is_answered_turn_by_turn() -> None:
    for backlog in range(BACKLOG_LIMIT):
        assert on_arrival(backlog, RiskLevel.NONE, asked_already=False) is Arrival.ANSWER


def test_beyond_the_backlog_the_participant_is_asked_once_then_not_again() -> None:
    assert on_arrival(BACKLOG_LIMIT, RiskLevel.NONE, False) is Arrival.SLOW_DOWN
    assert on_arrival(BACKLOG_LIMIT + 50, RiskLevel.ELEVATED, True) is Arrival.QUIET


@pytest.mark.parametrize("level", [RiskLevel.HIGH, RiskLevel.IMMINENT])
def test_a_paged_message_is_always_answered_in_full(level: RiskLevel) -> None:
    assert on_arrival(BACKLOG_LIMIT * 100, level, asked_already=True) is Arrival.ANSWER


@pytest.mark.parametrize("language", ["sv", "en"])
def test_the_request_to_slow_down_says_the_messages_were_read(language: str) -> None:
    said = text("slow_down", language)
    assert ("read" in said) if language == "en" else ("läst" in said)
