"""How often each dialogue flow ran, per day: counts only, nobody named.

The supervisor sees which flows exist (the dialogue files) and which ran
(this). A flow is known by what it produced: the effect types of the
dialogue's answers (consent given, check-in completed, risk flag, pause, …)
and the gateway's own safety flow.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta, tzinfo

from safety.vault import Vault
from safety.vault.store import SYSTEM_OWNER

_KIND = "flow_counts"


class FlowCounts:
    def __init__(self, vault: Vault, zone: tzinfo) -> None:
        self._vault = vault
        self._zone = zone

    def _day(self, at: float) -> str:
        return datetime.fromtimestamp(at, self._zone).date().isoformat()

    def add(self, names: Iterable[str], at: float) -> None:
        counted = Counter(names)
        if not counted:
            return
        day = self._day(at)
        stored = Counter(self._vault.get(_KIND, SYSTEM_OWNER, day) or {})
        stored.update(counted)
        self._vault.put(_KIND, SYSTEM_OWNER, day, dict(stored))

    def totals(self, days: int, now: float) -> dict[str, int]:
        """Counts over the last ``days`` local days, today included."""
        today = datetime.fromtimestamp(now, self._zone).date()
        total: Counter[str] = Counter()
        for back in range(days):
            day = (today - timedelta(days=back)).isoformat()
            total.update(self._vault.get(_KIND, SYSTEM_OWNER, day) or {})
        return dict(total)
