"""A flood from one participant: bounded dialogue work, every message still kept."""

from __future__ import annotations

import pytest

from bot.core.flood import BACKLOG_LIMIT, Arrival, when_answering
from bot.core.texts import text
from safety.risk.levels import RiskLevel


def test_a_short_queue_is_answered_turn_by_turn() -> None:
    for behind in range(BACKLOG_LIMIT):
        assert when_answering(behind, RiskLevel.NONE, asked_already=False) is Arrival.ANSWER


def test_the_newest_message_of_a_burst_always_reaches_the_dialogue() -> None:
    # Nothing queued behind it, however long the burst was and whatever was said.
    assert when_answering(0, RiskLevel.NONE, asked_already=True) is Arrival.ANSWER


def test_with_a_long_queue_behind_the_participant_is_asked_once_then_not_again() -> None:
    assert when_answering(BACKLOG_LIMIT, RiskLevel.NONE, False) is Arrival.SLOW_DOWN
    assert when_answering(BACKLOG_LIMIT + 50, RiskLevel.NONE, True) is Arrival.QUIET


@pytest.mark.parametrize("level", [RiskLevel.ELEVATED, RiskLevel.HIGH, RiskLevel.IMMINENT])
def test_a_message_with_any_risk_is_always_answered_in_full(level: RiskLevel) -> None:
    assert when_answering(BACKLOG_LIMIT * 100, level, asked_already=True) is Arrival.ANSWER


@pytest.mark.parametrize("language", ["sv", "en"])
def test_the_request_to_slow_down_says_the_messages_were_read(language: str) -> None:
    said = text("slow_down", language)
    assert ("read" in said) if language == "en" else ("läst" in said)
