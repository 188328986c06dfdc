"""The escalation policy: acknowledgement deadlines and the re-escalation chain."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone, tzinfo

from safety.errors import ConfigError

ASSIGNED = "assigned"
ON_CALL = "on_call"
SUPERVISOR = "supervisor"
CHAIN = (ASSIGNED, ON_CALL, SUPERVISOR)

# What an escalation is about: a risk level from the screen, or a participant's request.
PAGED_LEVELS = ("imminent", "high", "handoff")


@dataclass(frozen=True)
class QuietHours:
    start: time
    end: time
    utc_offset_minutes: int = 0
    # A zone with daylight saving (Europe/Stockholm) wins over the fixed offset.
    zone: tzinfo | None = None

    @classmethod
    def parse(
        cls, spec: str, utc_offset_minutes: int = 0, zone: tzinfo | None = None
    ) -> QuietHours:
        try:
            start, end = (time.fromisoformat(part.strip()) for part in spec.split("-"))
        except ValueError as exc:
            raise ConfigError(f"quiet hours must look like 22:00-07:00, not {spec!r}") from exc
        return cls(start, end, utc_offset_minutes, zone)

    def contains(self, now: float) -> bool:
        zone = self.zone or timezone(timedelta(minutes=self.utc_offset_minutes))
        moment = datetime.fromtimestamp(now, zone).time()
        if self.start <= self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end


@dataclass(frozen=True)
class EscalationPolicy:
    ack_seconds: dict[str, float]
    quiet_hours: QuietHours | None = None

    def __post_init__(self) -> None:
        for level in PAGED_LEVELS:
            seconds = self.ack_seconds.get(level)
            if seconds is None or seconds <= 0:
                raise ConfigError(f"an acknowledgement deadline is needed for {level}")

    def first_roles(self, level: str, now: float) -> tuple[str, ...]:
        """Who is paged first. Imminent never waits: assigned and on-call at once."""
        if level == "imminent":
            return (ASSIGNED, ON_CALL)
        if self.quiet_hours is not None and self.quiet_hours.contains(now):
            return (ON_CALL,)  # the assigned mediator is off; someone awake must see it
        return (ASSIGNED,)

    def deadline(self, level: str, now: float) -> float:
        return now + self.ack_seconds[level]


def next_roles(paged_so_far: tuple[str, ...]) -> tuple[str, ...]:
    """The next step of the chain; once it is exhausted, everyone on it again."""
    remaining = [role for role in CHAIN if role not in paged_so_far]
    return (remaining[0],) if remaining else CHAIN
