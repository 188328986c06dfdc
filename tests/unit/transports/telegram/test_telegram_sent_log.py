"""The record of what the bot sent: aging past 48 hours, and a bounded key memory."""

from __future__ import annotations

from bot.transports.telegram.sent_messages import (
    DELETABLE_SECONDS,
    KEYS_KEPT,
    SentLog,
    aged,
    with_sent,
)


def test_messages_past_the_deletion_window_become_a_count() -> None:
    log = SentLog(messages=[(1, 0.0), (2, 100.0)], expired=3)
    later = aged(log, DELETABLE_SECONDS + 50.0)
    assert later.messages == [(2, 100.0)]
    assert later.expired == 4


def test_only_the_newest_keys_are_remembered() -> None:
    log = SentLog()
    for n in range(KEYS_KEPT + 5):
        log = with_sent(log, n, f"key-{n}", float(n))
    assert len(log.keys) == KEYS_KEPT
    assert "key-0" not in log.keys
    assert log.keys[f"key-{KEYS_KEPT + 4}"] == KEYS_KEPT + 4
    assert len(log.messages) == KEYS_KEPT + 5


def test_a_record_round_trips_and_a_damaged_one_reads_as_empty() -> None:
    log = SentLog(messages=[(7, 1.5)], keys={"k": 7}, expired=2, started=True)
    assert SentLog.from_record(log.to_record()) == log
    assert SentLog.from_record(None) == SentLog()
    assert SentLog.from_record({"messages": [["x", 1]], "expired": "2"}) == SentLog()
