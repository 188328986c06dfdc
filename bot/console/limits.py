"""Counting attempts in a sliding window: the console's lockouts and its limit on
codes sent. Pure: the caller passes the time."""

from __future__ import annotations

from collections import deque

# Keys are what strangers type (account ids, addresses): stale ones are dropped
# once this many are held, so guessing cannot grow memory without bound.
_SWEEP_AT = 10_000


class Limiter:
    """At most ``limit`` hits per key within ``window_seconds``; a key that has
    reached it is blocked until its oldest hit leaves the window."""

    def __init__(self, limit: int, window_seconds: float) -> None:
        if limit < 1 or window_seconds <= 0:
            raise ValueError("a limiter needs a positive limit and window")
        self.limit = limit
        self.window = window_seconds
        self._hits: dict[str, deque[float]] = {}

    def _recent(self, key: str, now: float) -> deque[float]:
        hits = self._hits.get(key)
        if hits is None:
            return deque()
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        if not hits:
            del self._hits[key]
        return hits

    def blocked(self, key: str, now: float) -> bool:
        return len(self._recent(key, now)) >= self.limit

    def hit(self, key: str, now: float) -> None:
        if len(self._hits) >= _SWEEP_AT:
            for stale in list(self._hits):
                self._recent(stale, now)
        hits = self._recent(key, now)
        self._hits[key] = hits
        hits.append(now)

    def clear(self, key: str) -> None:
        self._hits.pop(key, None)

    def count(self, key: str, now: float) -> int:
        return len(self._recent(key, now))
