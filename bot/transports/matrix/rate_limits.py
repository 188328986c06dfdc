"""Make the homeserver's rate limits visible, and let pages go first through them.

nio retries a call refused with ``429 M_LIMIT_EXCEEDED`` by itself, after the
``retry_after_ms`` the homeserver asked for, and says nothing the gateway sees.
A response callback hears each refusal: it logs ``rate_limited`` (the call and
the wait, no content) and closes the gate, so no new notice adds to the queue
before the homeserver accepts again. Pages go through the gate first. A message
refused in flight waits in the callback instead of in nio (nio reads
``retry_after_ms`` after its callbacks ran): the homeserver's wait, and for a
reply until the pending pages are sent; nio then resends it at once.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar

from nio import AsyncClient, ErrorResponse

from bot import logs
from bot.core.rate_gate import RateGate

_LIMITED = frozenset({"M_LIMIT_EXCEEDED", "429"})
_WORD = re.compile(r"(?<!^)(?=[A-Z])")
# nio treats 0 as "no wait given" and waits 5 s; 1 ms is "now".
_RESEND_NOW_MS = 1
# nio runs response callbacks inside the refused call's own task: this tells the
# callback whether the refused send is a page.
_SENDING_PAGE: ContextVar[bool] = ContextVar("sending_page", default=False)


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
        marked = _SENDING_PAGE.set(page)
        try:
            while (delay := self._rule.delay(ticket, self._clock())) > 0:
                await self._wait(delay)
            yield
        finally:
            _SENDING_PAGE.reset(marked)
            self._rule.done(ticket)
            self._changed.set()
            waited_ms = self._rule.page_wait_ms(ticket, self._clock())
            if waited_ms is not None:
                logs.warning("page_waited", wait_ms=waited_ms)

    async def before_retry(self) -> None:
        """Wait, in a refused send's own task, until it may be sent again."""
        page = _SENDING_PAGE.get()
        while (delay := self._rule.retry_delay(page=page, now=self._clock())) > 0:
            await self._wait(delay)

    async def _wait(self, seconds: float) -> None:
        self._changed.clear()
        try:
            await asyncio.wait_for(self._changed.wait(), seconds)
        except asyncio.TimeoutError:  # not the built-in TimeoutError before 3.11
            pass


def call_name(response: ErrorResponse) -> str:
    """``RoomSendError`` -> ``room_send``: names the call, never its content."""
    name = type(response).__name__.removesuffix("Error").removesuffix("Response")
    return _WORD.sub("_", name).lower() or "unknown"


def watch_rate_limits(client: AsyncClient, gate: SendGate) -> None:
    """Tell ``gate`` (and the log) about every refusal nio is about to wait out."""

    async def on_error(response: ErrorResponse) -> None:
        if str(response.status_code) not in _LIMITED:
            return
        call = call_name(response)
        gate.hold(call, response.retry_after_ms)
        # Only a message send waits here; key and to-device calls may run under the
        # key lock a page is waiting for, and nio waits them out itself.
        if call == "room_send":
            await gate.before_retry()
            response.retry_after_ms = _RESEND_NOW_MS

    client.add_response_callback(on_error, ErrorResponse)
