"""Typing, shown only when an answer is slow enough for a person to wonder.

Most answers arrive well within a second, and every typing call is one more
request for the homeserver and one more sync for the reader. So the indicator
starts only after a delay, never while a page is waiting, and its failure never
touches the turn.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager

from bot import logs
from bot.transports.port import Outbox
from bot.transports.traffic import Traffic

TYPING_AFTER_SECONDS = 1.0


async def courtesy(call: Awaitable[None], name: str) -> bool:
    """Typing is nice to have: any failure is logged by kind and forgotten."""
    try:
        await call
        return True
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        logs.warning("courtesy_call_failed", call=name, error=type(exc).__name__)
        return False


@asynccontextmanager
async def typing_while_slow(
    sender: Outbox, traffic: Traffic, room_id: str, after_s: float = TYPING_AFTER_SECONDS
) -> AsyncIterator[None]:
    shown = False

    async def show() -> None:
        nonlocal shown
        await asyncio.sleep(after_s)
        if not traffic.pages_waiting:
            # Set first: a turn ending while this call is in flight still clears it.
            shown = True
            shown = await courtesy(sender.typing(room_id, True), "typing")

    task = asyncio.create_task(show())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        if shown:
            await courtesy(sender.typing(room_id, False), "typing")
