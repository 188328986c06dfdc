"""Check-in schedules: "mon,thu@18:00" or "daily@09:30", in local time.

Pure parsing and arithmetic. The gateway starts a check-in at each scheduled
time and tells the dialogue when the next one is, so the closing message can
say it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo

from bot.errors import ConfigError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SPEC = re.compile(r"^(?P<days>daily|[a-z]{3}(?:,[a-z]{3})*)@(?P<at>\d{1,2}:\d{2})$")
_NAMES = {
    "sv": ("måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}


@dataclass(frozen=True)
class Schedule:
    weekdays: tuple[int, ...]
    at: time

    @classmethod
    def parse(cls, spec: str) -> Schedule:
        match = _SPEC.match(spec.strip().lower())
        if match is None:
            raise ConfigError(f"a schedule looks like mon,thu@18:00 or daily@09:30, not {spec!r}")
        days = match["days"]
        weekdays = (
            tuple(range(7))
            if days == "daily"
            else tuple(sorted({DAYS.index(d) for d in days.split(",") if d in DAYS}))
        )
        if days != "daily" and len(weekdays) != len(set(days.split(","))):
            raise ConfigError(f"unknown weekday in {spec!r}; use {','.join(DAYS)}")
        try:
            at = time.fromisoformat(match["at"].zfill(5))
        except ValueError as exc:
            raise ConfigError(f"no such time of day in {spec!r}") from exc
        return cls(weekdays, at)

    def spec(self) -> str:
        days = "daily" if len(self.weekdays) == 7 else ",".join(DAYS[d] for d in self.weekdays)
        return f"{days}@{self.at.strftime('%H:%M')}"

    def next_after(self, now: float, zone: tzinfo) -> datetime:
        """The next check-in after ``now``, as an aware local datetime."""
        local = datetime.fromtimestamp(now, zone)
        for ahead in range(8):
            day = local.date() + timedelta(days=ahead)
            candidate = datetime.combine(day, self.at, zone)
            # Timestamps, not wall times: around a daylight-saving change they differ.
            if candidate.weekday() in self.weekdays and candidate.timestamp() > now:
                return candidate
        raise AssertionError("a weekly schedule always has a next occurrence")

    def last_at_or_before(self, now: float, zone: tzinfo) -> datetime:
        """The latest check-in time at or before ``now``, as an aware local datetime."""
        local = datetime.fromtimestamp(now, zone)
        for back in range(8):
            day = local.date() - timedelta(days=back)
            candidate = datetime.combine(day, self.at, zone)
            if candidate.weekday() in self.weekdays and candidate.timestamp() <= now:
                return candidate
        raise AssertionError("a weekly schedule always has a past occurrence")


def describe(moment: datetime, language: str) -> str:
    names = _NAMES.get(language, _NAMES["sv"])
    return f"{names[moment.weekday()]} {moment.strftime('%H:%M')}"
