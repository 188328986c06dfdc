from __future__ import annotations

from datetime import datetime, timezone

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
    following = schedule.next_after(NOON_SATURDAY, utc_offset_minutes=60)
    assert following.weekday() == 0 and following.hour == 18
    assert describe(following, "sv") == "måndag 18:00"
    assert describe(following, "en") == "Monday 18:00"


def test_later_today_counts() -> None:
    today = Schedule.parse("sat@18:00").next_after(NOON_SATURDAY, utc_offset_minutes=0)
    assert today.day == 21 and today.hour == 18
    tomorrow = Schedule.parse("sat@11:00").next_after(NOON_SATURDAY, utc_offset_minutes=0)
    assert tomorrow.day == 28
