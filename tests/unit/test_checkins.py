"""The check-in clock: start, remind once, count a miss, page a miss after high risk."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

from bot.core.checkins import (
    Cancelled,
    CheckinState,
    CheckinTiming,
    Missed,
    Remind,
    Start,
    after,
    completed,
    high_risk_seen,
    message_seen,
    next_step,
)
from bot.core.model import Participant
from bot.core.schedule import Schedule
from bot.ids import MatrixUserId, ParticipantId, RoomId

CONSENT = "v1"
OFFSET = 60
ZONE = timezone(timedelta(minutes=OFFSET))
TIMING = CheckinTiming(
    start_window=3600, remind_after=7200, missed_after=86400, high_window=7 * 86400
)
# Thursday 2026-11-19 18:00 local time.
THURSDAY_18 = datetime(2026, 11, 19, 18, 0, tzinfo=ZONE).timestamp()
HOUR = 3600.0

PARTICIPANT = Participant(
    pseudonym=ParticipantId("p-1"),
    matrix_id=MatrixUserId("@a:localhost"),
    language="sv",
    room_id=RoomId("!room:localhost"),
    consent_version=CONSENT,
    schedule="mon,thu@18:00",
)


def step(state: CheckinState, now: float, participant: Participant = PARTICIPANT):
    return next_step(participant, state, now, consent_version=CONSENT, zone=ZONE, timing=TIMING)


def test_the_last_scheduled_time_is_found_across_the_week() -> None:
    schedule = Schedule.parse("mon,thu@18:00")
    assert schedule.last_at_or_before(THURSDAY_18, ZONE).timestamp() == THURSDAY_18
    monday = datetime(2026, 11, 16, 18, 0, tzinfo=ZONE).timestamp()
    assert schedule.last_at_or_before(THURSDAY_18 - 1, ZONE).timestamp() == monday


def test_a_check_in_starts_at_its_time_and_only_once() -> None:
    # Monday's time is three days past: nothing to start a minute before Thursday's.
    assert step(CheckinState(), THURSDAY_18 - 60) is None
    first = step(CheckinState(slot=THURSDAY_18 - 3 * 24 * HOUR), THURSDAY_18 + 60)
    assert first == Start(THURSDAY_18)
    started = after(CheckinState(), first, THURSDAY_18 + 60)
    assert started.open
    assert step(started, THURSDAY_18 + 120) is None


def test_a_gateway_back_after_the_window_does_not_start_a_stale_check_in() -> None:
    assert step(CheckinState(), THURSDAY_18 + 2 * HOUR) is None


def test_no_check_in_without_consent_while_paused_withdrawn_or_in_a_handoff() -> None:
    for who in (
        replace(PARTICIPANT, consent_version=None),
        replace(PARTICIPANT, paused=True),
        replace(PARTICIPANT, left_at=THURSDAY_18 - HOUR),
        replace(PARTICIPANT, handoff_by="@m:localhost"),
        replace(PARTICIPANT, schedule=None),
        replace(PARTICIPANT, room_id=None),
    ):
        assert step(CheckinState(), THURSDAY_18 + 60, who) is None


def test_one_reminder_after_the_remind_delay() -> None:
    started = after(CheckinState(), Start(THURSDAY_18), THURSDAY_18)
    assert step(started, THURSDAY_18 + HOUR) is None
    assert step(started, THURSDAY_18 + 2 * HOUR) == Remind(THURSDAY_18)
    reminded = after(started, Remind(THURSDAY_18), THURSDAY_18 + 2 * HOUR)
    assert step(reminded, THURSDAY_18 + 3 * HOUR) is None


def test_a_finished_check_in_is_neither_reminded_nor_missed() -> None:
    started = after(CheckinState(), Start(THURSDAY_18), THURSDAY_18)
    done = completed(started, THURSDAY_18 + 600)
    assert not done.open
    assert step(done, THURSDAY_18 + 3 * HOUR) is None
    assert step(done, THURSDAY_18 + 30 * HOUR) is None


def test_unfinished_after_a_day_is_missed_and_counted() -> None:
    started = after(CheckinState(), Start(THURSDAY_18), THURSDAY_18)
    missed = step(started, THURSDAY_18 + 24 * HOUR)
    assert missed == Missed(THURSDAY_18, after_high=False)
    state = after(started, missed, THURSDAY_18 + 24 * HOUR)
    assert state.missed_in_row == 1 and not state.open
    assert completed(state, THURSDAY_18 + 25 * HOUR).missed_in_row == 0


def test_the_next_scheduled_time_ends_an_unfinished_one_first() -> None:
    daily = replace(PARTICIPANT, schedule="daily@18:00")
    timing = replace(TIMING, missed_after=48 * HOUR)
    started = after(CheckinState(), Start(THURSDAY_18), THURSDAY_18)
    next_day = THURSDAY_18 + 24 * HOUR + 60
    found = next_step(daily, started, next_day, consent_version=CONSENT, zone=ZONE, timing=timing)
    assert found == Missed(THURSDAY_18, after_high=False)
    state = after(started, found, next_day)
    found = next_step(daily, state, next_day, consent_version=CONSENT, zone=ZONE, timing=timing)
    assert found == Start(THURSDAY_18 + 24 * HOUR)


def test_a_miss_within_a_week_of_high_risk_is_flagged() -> None:
    high = high_risk_seen(CheckinState(), THURSDAY_18 - 3 * 24 * HOUR)
    started = after(high, Start(THURSDAY_18), THURSDAY_18)
    assert step(started, THURSDAY_18 + 24 * HOUR) == Missed(THURSDAY_18, after_high=True)
    long_ago = high_risk_seen(CheckinState(), THURSDAY_18 - 10 * 24 * HOUR)
    started = after(long_ago, Start(THURSDAY_18), THURSDAY_18)
    assert step(started, THURSDAY_18 + 24 * HOUR) == Missed(THURSDAY_18, after_high=False)


def test_a_check_in_waits_for_a_conversation_under_way_to_go_quiet() -> None:
    chatting = message_seen(CheckinState(), THURSDAY_18 - 60)
    assert step(chatting, THURSDAY_18 + 60) is None
    assert step(chatting, THURSDAY_18 + 600) == Start(THURSDAY_18)


def test_high_risk_after_the_start_also_counts() -> None:
    started = after(CheckinState(), Start(THURSDAY_18), THURSDAY_18)
    risky = high_risk_seen(started, THURSDAY_18 + HOUR)
    assert step(risky, THURSDAY_18 + 24 * HOUR) == Missed(THURSDAY_18, after_high=True)


def test_a_pause_cancels_an_open_check_in_and_it_is_never_counted_missed() -> None:
    started = after(high_risk_seen(CheckinState(), THURSDAY_18), Start(THURSDAY_18), THURSDAY_18)
    paused = replace(PARTICIPANT, paused=True)
    assert step(started, THURSDAY_18 + HOUR, paused) == Cancelled(THURSDAY_18)
    cancelled = after(started, Cancelled(THURSDAY_18), THURSDAY_18 + HOUR)
    assert not cancelled.open and cancelled.missed_in_row == 0
    # Back three weeks later: no miss, no page over old risk; the next time starts.
    later = THURSDAY_18 + 21 * 24 * HOUR + 60
    assert step(cancelled, later) == Start(THURSDAY_18 + 21 * 24 * HOUR)
