from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.core.schedule import Schedule, describe
from bot.errors import ConfigError

# Saturday 2026-11-21 12:00 UTC
NOON_SATURDAY = datetime(2026, 11, 21, 12, 0, tzinfo=timezone.utc).timestamp()


def test_parse_and_round_trip() -> None:
    assert Schedule.parse("thu,mon@18:00").spec() == "mon,thu@18:00"
    assert Schedule.parse("daily@9:30").spec() == "daily@09:30"


@pytest.mark.parametrize("spec", ["monday@18:00", "mon@25:00", "mon,xyz@10:00", "18:00", ""])
def test_bad_schedules_are_explained(spec: str) -> None:
    with pytest.raises(ConfigError):
        Schedule.parse(spec)


def test_next_occurrence_in_local_time() -> None:
    schedule = Schedule.parse("mon,thu@18:00")
    following = schedule.next_after(NOON_SATURDAY, timezone(timedelta(minutes=60)))
    assert following.weekday() == 0 and following.hour == 18
    assert describe(following, "sv") == "måndag 18:00"
    assert describe(following, "en") == "Monday 18:00"


def test_later_today_counts() -> None:
    today = Schedule.parse("sat@18:00").next_after(NOON_SATURDAY, timezone.utc)
    assert today.day == 21 and today.hour == 18
    tomorrow = Schedule.parse("sat@11:00").next_after(NOON_SATURDAY, timezone.utc)
    assert tomorrow.day == 28


STOCKHOLM = ZoneInfo("Europe/Stockholm")


def test_local_time_follows_daylight_saving() -> None:
    """18:00 in Stockholm is 17:00 UTC in winter and 16:00 UTC in summer."""
    schedule = Schedule.parse("daily@18:00")
    winter = datetime(2026, 1, 15, 12, 0, tzinfo=timezone.utc).timestamp()
    summer = datetime(2026, 7, 15, 12, 0, tzinfo=timezone.utc).timestamp()
    assert schedule.next_after(winter, STOCKHOLM).astimezone(timezone.utc).hour == 17
    assert schedule.next_after(summer, STOCKHOLM).astimezone(timezone.utc).hour == 16


def test_the_last_time_across_the_spring_change() -> None:
    """The clocks go forward on 2026-03-29; yesterday's 18:00 was an hour later in UTC."""
    schedule = Schedule.parse("daily@18:00")
    monday_morning = datetime(2026, 3, 30, 8, 0, tzinfo=timezone.utc).timestamp()
    last = schedule.last_at_or_before(monday_morning, STOCKHOLM)
    assert last.astimezone(timezone.utc) == datetime(2026, 3, 29, 16, 0, tzinfo=timezone.utc)


def test_a_single_weekday_goes_back_a_whole_week() -> None:
    schedule = Schedule.parse("sat@18:00")
    last = schedule.last_at_or_before(NOON_SATURDAY, timezone.utc)
    assert last == datetime(2026, 11, 14, 18, 0, tzinfo=timezone.utc)
