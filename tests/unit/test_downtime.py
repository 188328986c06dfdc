"""Staff hear how long the gateway was down and how many messages came late."""

from __future__ import annotations

from bot.core.downtime import downtime_notice

T = 1_796_000_000.0


def test_the_first_start_ever_says_nothing() -> None:
    assert downtime_notice(None, T, 3) is None


def test_a_quick_restart_with_nothing_waiting_says_nothing() -> None:
    assert downtime_notice(T - 20, T, 0) is None


def test_a_long_gap_is_reported_even_without_messages() -> None:
    notice = downtime_notice(T - 3 * 3600, T, 0)
    assert notice is not None
    assert "3.0 h" in notice and "0 messages" in notice


def test_messages_that_waited_are_counted_even_after_a_short_gap() -> None:
    notice = downtime_notice(T - 30, T, 1)
    assert notice is not None
    assert "30 s" in notice and "1 message that arrived meanwhile was" in notice
    assert "15 messages" in str(downtime_notice(T - 600, T, 15))
    assert "10 min" in str(downtime_notice(T - 600, T, 15))
