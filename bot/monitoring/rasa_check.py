"""Rasa's reachability for the health endpoint, at most one probe per interval.

The gateway's own calls to Rasa keep the answer fresh while participants talk;
only when it has not called Rasa for a while does a health request probe it,
and concurrent or repeated requests share that one probe.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Protocol

PROBE_EVERY_SECONDS = 15.0


class Probed(Protocol):
    reachable: bool | None
    checked_at: float | None

    async def probe(self, timeout_seconds: float = 3.0) -> bool: ...


class RasaCheck:
    def __init__(
        self,
        rasa: Probed,
        every: float = PROBE_EVERY_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._rasa = rasa
        self._every = every
        self._clock = clock
        self._probing = asyncio.Lock()

    def _fresh(self) -> bool:
        checked = self._rasa.checked_at
        return checked is not None and self._clock() - checked < self._every

    async def up(self) -> bool:
        if not self._fresh():
            async with self._probing:
                if not self._fresh():  # another request may have probed meanwhile
                    await self._rasa.probe()
        return bool(self._rasa.reachable)

    def last_known(self) -> float | None:
        """1 or 0 as last seen (never probes; for the metrics gauge)."""
        reachable = self._rasa.reachable
        return None if reachable is None else float(reachable)
