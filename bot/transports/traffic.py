"""Pages first: what the gateway sends to the homeserver, in order of urgency.

The homeserver persists one room's events one after another, and on SQLite
every write of every room goes through a single connection. Whatever the
gateway has in flight when a page is raised sits ahead of that page in the
homeserver's queue. So replies to participants wait while a page is waiting,
only a few of them are in flight at a time, and courtesy calls (typing) are
skipped while pages wait.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot import logs
from bot.core.transport_names import transport_of
from bot.transports.idempotency import transaction_id
from bot.transports.port import Outbox

REPLIES_IN_FLIGHT = 2
# A staff room that cannot be reached must not silence participants for long.
PAGE_WAIT_SECONDS = 3.0


class Traffic:
    def __init__(
        self, replies_in_flight: int = REPLIES_IN_FLIGHT, page_wait_s: float = PAGE_WAIT_SECONDS
    ) -> None:
        self._pages_sent = asyncio.Event()
        self._pages_sent.set()
        # Slots per messenger: Telegram's flood control holding its replies back
        # must not hold back a Matrix participant's answer, or the other way round.
        self._replies_in_flight = replies_in_flight
        self._reply_slots: dict[str, asyncio.Semaphore] = {}
        self._page_wait_s = page_wait_s
        # Raised pages so far, and the count at which waiting last timed out: a page
        # that keeps failing holds replies back once, not on every reply.
        self._raised = 0
        self._gave_up_at = -1

    def page_waiting(self) -> None:
        self._raised += 1
        self._pages_sent.clear()

    def pages_sent(self) -> None:
        self._pages_sent.set()

    @property
    def pages_waiting(self) -> bool:
        return not self._pages_sent.is_set()

    async def pages_first(self) -> bool:
        """Wait until no page is waiting; False if one still was after the wait."""
        if self._pages_sent.is_set():
            return True
        if self._gave_up_at == self._raised:
            return False  # these pages are failing; a new page makes replies wait again
        try:
            await asyncio.wait_for(self._pages_sent.wait(), self._page_wait_s)
            return True
        except asyncio.TimeoutError:
            self._gave_up_at = self._raised
            logs.warning("pages_still_pending")
            return False

    @asynccontextmanager
    async def reply_slot(self, conversation: str = "") -> AsyncIterator[None]:
        """Hold one of the few slots for an ordinary message on the conversation's
        messenger, after any waiting page."""
        await self.pages_first()
        messenger = transport_of(conversation)
        slots = self._reply_slots.get(messenger)
        if slots is None:
            slots = self._reply_slots[messenger] = asyncio.Semaphore(self._replies_in_flight)
        async with slots:
            # A page raised while this reply queued for its slot still goes first.
            await self.pages_first()
            yield


async def send_after_pages(
    sender: Outbox,
    traffic: Traffic,
    room_id: str,
    texts: tuple[str, ...],
    txn_key: str,
    expected: frozenset[str],
) -> None:
    """Ordinary messages, in order, each behind any waiting page; transaction ids
    derive from ``txn_key`` and each message's place, so a resend reaches the reader
    once. Callers pack an answer's replies first (`bot/core/packing.py`) and store
    what they pack, so a resend sends the same messages.

    An answer too long for one message holds its slot for all of them, so a
    participant reads them together instead of interleaved with everyone else's;
    a page raised meanwhile still goes before the next one."""
    async with traffic.reply_slot(room_id):
        for index, body in enumerate(texts):
            if index:
                await traffic.pages_first()
            await sender.notice(room_id, body, transaction_id(txn_key, index), expected)
