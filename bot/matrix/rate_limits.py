"""Make the homeserver's rate limits visible, and let pages go first through them.

nio retries a call refused with ``429 M_LIMIT_EXCEEDED`` by itself, after the
``retry_after_ms`` the homeserver asked for, and says nothing the gateway sees.
A response callback hears each refusal: it logs ``rate_limited`` (the call and
the wait, no content) and closes the gate, so no new notice adds to the queue
before the homeserver accepts again. Pages go through the gate first.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from nio import AsyncClient, ErrorResponse

from bot import logs
from bot.core.rate_gate import RateGate

_LIMITED = frozenset({"M_LIMIT_EXCEEDED", "429"})
_WORD = re.compile(r"(?<!^)(?=[A-Z])")


class SendGate:
    """The asyncio side of :class:`RateGate`: waits, wakes, and warns for pages."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._rule = RateGate()
        self._clock = clock
        self._changed = asyncio.Event()

    def hold(self, call: str, retry_after_ms: int | None) -> None:
        wait_ms = self._rule.hold(self._clock(), retry_after_ms)
        logs.warning("rate_limited", call=call, retry_after_ms=wait_ms)
        self._changed.set()

    @asynccontextmanager
    async def turn(self, *, page: bool) -> AsyncIterator[None]:
        """Wait until this send may go; a page waits only for the homeserver."""
        ticket = self._rule.ask(page=page, now=self._clock())
        try:
            while (delay := self._rule.delay(ticket, self._clock())) > 0:
                self._changed.clear()
                try:
                    await asyncio.wait_for(self._changed.wait(), delay)
                except TimeoutError:
                    pass
            yield
        finally:
            self._rule.done(ticket)
            self._changed.set()
            waited_ms = self._rule.page_wait_ms(ticket, self._clock())
            if waited_ms is not None:
                logs.warning("page_waited", wait_ms=waited_ms)


def call_name(response: ErrorResponse) -> str:
    """``RoomSendError`` -> ``room_send``: names the call, never its content."""
    name = type(response).__name__.removesuffix("Error").removesuffix("Response")
    return _WORD.sub("_", name).lower() or "unknown"


def watch_rate_limits(client: AsyncClient, gate: SendGate) -> None:
    """Tell ``gate`` (and the log) about every refusal nio is about to wait out."""

    async def on_error(response: ErrorResponse) -> None:
        if str(response.status_code) in _LIMITED:
            gate.hold(call_name(response), response.retry_after_ms)

    client.add_response_callback(on_error, ErrorResponse)
