"""Telegram's flood control, waited out, with pages first.

Telegram refuses a call it thinks too many with ``429`` and ``retry_after``
seconds. Nothing new is sent before then, and when the wait is over pages go
before replies, by the same rule as Matrix's (``bot.core.rate_gate``). Unlike
nio, aiogram does not retry by itself: the refused send waits here and is sent
again by the transport.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from bot import logs
from bot.core.rate_gate import RateGate

Sleep = Callable[[float], Awaitable[None]]


class SendGate:
    def __init__(
        self, clock: Callable[[], float] = time.monotonic, sleep: Sleep | None = None
    ) -> None:
        self._rule = RateGate()
        self._clock = clock
        # Tests pass a sleep that moves their clock; otherwise a wait ends early
        # when the gate changes (a page finished, a new hold began).
        self._sleep = sleep
        self._changed = asyncio.Event()

    def hold(self, call: str, retry_after_seconds: int | None) -> None:
        retry_ms = None if retry_after_seconds is None else retry_after_seconds * 1000
        wait_ms = self._rule.hold(self._clock(), retry_ms)
        logs.warning("rate_limited", call=call, retry_after_ms=wait_ms, transport="telegram")
        self._changed.set()

    @asynccontextmanager
    async def turn(self, *, page: bool) -> AsyncIterator[None]:
        """Wait until this send may go; a page waits only for Telegram."""
        ticket = self._rule.ask(page=page, now=self._clock())
        try:
            while (delay := self._rule.delay(ticket, self._clock())) > 0:
                await self._wait(delay)
            yield
        finally:
            self._rule.done(ticket)
            self._changed.set()
            waited_ms = self._rule.page_wait_ms(ticket, self._clock())
            if waited_ms is not None:
                logs.warning("page_waited", wait_ms=waited_ms, transport="telegram")

    async def before_retry(self, *, page: bool) -> None:
        """Wait, in a refused send's own task, until it may be sent again."""
        while (delay := self._rule.retry_delay(page=page, now=self._clock())) > 0:
            await self._wait(delay)

    async def _wait(self, seconds: float) -> None:
        if self._sleep is not None:
            await self._sleep(seconds)
            return
        self._changed.clear()
        try:
            await asyncio.wait_for(self._changed.wait(), seconds)
        except TimeoutError:
            pass
