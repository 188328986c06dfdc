"""The gateway's housekeeping (deletions, retention, digest, audit head) outlives
any one failing tick: a vault error is logged and the next tick runs."""

from __future__ import annotations

import pytest

from bot import logs
from bot.gateway.housekeeping import every_second
from safety.errors import StoreError


class _Stop(Exception):
    """Ends the loop from inside the test's sleep."""


async def test_a_failing_tick_is_logged_and_the_loop_goes_on() -> None:
    ticks: list[int] = []
    seen: list[tuple[str, str, object]] = []

    async def step(tick: int) -> None:
        ticks.append(tick)
        if tick < 3:
            raise StoreError("vault unreadable")

    async def sleep(seconds: float) -> None:
        if len(ticks) == 4:
            raise _Stop

    stop = logs.observe(lambda level, kind, fields: seen.append((level, kind, fields)))
    try:
        with pytest.raises(_Stop):
            await every_second(step, sleep=sleep)
    finally:
        stop()
    assert ticks == [1, 2, 3, 4]
    failures = [fields for level, kind, fields in seen if kind == "housekeeping_failed"]
    assert failures == [{"error": "StoreError"}] * 2
