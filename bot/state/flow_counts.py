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
# Kept no longer than the console shows them: a day's small count could
# otherwise hint at one person long after their data was shredded.
KEEP_DAYS = 31


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
        record = self._vault.get(_KIND, SYSTEM_OWNER, day)
        stored = Counter(record or {})
        stored.update(counted)
        self._vault.put(_KIND, SYSTEM_OWNER, day, dict(stored))
        if record is None:  # the day's first count: once a day, drop what is too old
            self._forget_before(at)

    def _forget_before(self, at: float) -> None:
        today = datetime.fromtimestamp(at, self._zone).date()
        # A month beyond the limit covers a gateway that was down for weeks.
        for back in range(KEEP_DAYS + 1, 2 * KEEP_DAYS + 1):
            self._vault.delete(_KIND, SYSTEM_OWNER, (today - timedelta(days=back)).isoformat())

    def totals(self, days: int, now: float) -> dict[str, int]:
        """Counts over the last ``days`` local days, today included."""
        today = datetime.fromtimestamp(now, self._zone).date()
        total: Counter[str] = Counter()
        for back in range(days):
            day = (today - timedelta(days=back)).isoformat()
            total.update(self._vault.get(_KIND, SYSTEM_OWNER, day) or {})
        return dict(total)
