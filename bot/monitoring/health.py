"""Whether the gateway is doing its work, from what it already knows.

Pure: the caller passes the clock readings. The reasons are fixed words, so a
health answer never says more than which part is unwell.
"""

from __future__ import annotations

from dataclasses import dataclass

NOT_SYNCED_YET = "not_synced_yet"
SYNC_STALE = "sync_stale"
RASA_UNREACHABLE = "rasa_unreachable"


@dataclass(frozen=True)
class Health:
    ok: bool
    reasons: tuple[str, ...]
    last_sync_age_seconds: float | None

    def to_json(self) -> dict[str, object]:
        age = self.last_sync_age_seconds
        return {
            "status": "ok" if self.ok else "unhealthy",
            "reasons": list(self.reasons),
            "last_sync_age_seconds": None if age is None else round(age, 1),
        }


def judge(last_sync_age: float | None, stale_after: float, rasa_up: bool | None) -> Health:
    """Healthy when the last successful sync is at most ``stale_after`` seconds old
    and Rasa was reachable at the last look (unknown counts as reachable: the
    caller looks before judging)."""
    reasons = []
    if last_sync_age is None:
        reasons.append(NOT_SYNCED_YET)
    elif last_sync_age > stale_after:
        reasons.append(SYNC_STALE)
    if rasa_up is False:
        reasons.append(RASA_UNREACHABLE)
    return Health(ok=not reasons, reasons=tuple(reasons), last_sync_age_seconds=last_sync_age)
