"""The gateway's once-a-second housekeeping loop.

Deletions, retention, the digest, the audit head and check-in summaries all
hang off this one loop, so an exception escaping it would end all of them,
silently, while the gateway went on answering. Any one tick's failure is
logged (its type only: a message could carry content) and the next tick runs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from bot import logs


async def every_second(
    step: Callable[[int], Awaitable[None]],
    *,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> None:
    """Run ``step(tick)`` once a second for ever, ticks counted from 1."""
    tick = 0
    while True:
        tick += 1
        try:
            await step(tick)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            logs.warning("housekeeping_failed", error=type(exc).__name__)
        await sleep(1.0)
