"""The long poll: updates from Telegram, in order, to the gateway's handler.

Each batch goes to the handler whole and in order; only when it returned is the
offset past the batch saved (``offsets.py``), so a failing handler sees the same
batch again and a restart resumes after the last batch handled. Telegram's flood
control is waited out as asked, a network failure backs off from 1 s to 30 s,
and the log carries counts and error class names only.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramRetryAfter,
    TelegramUnauthorizedError,
)
from aiogram.methods import GetUpdates
from aiogram.types import Update

from bot import logs
from bot.errors import CredentialsRefused
from bot.transports.telegram.offsets import OffsetStore

ALLOWED_UPDATES = ["message", "edited_message"]
BATCH_LIMIT = 100
FIRST_BACKOFF = 1.0
MAX_BACKOFF = 30.0
# The HTTP request outlives the long poll by this much before it counts as lost.
REQUEST_MARGIN_SECONDS = 10

T = TypeVar("T")

Handler = Callable[[Sequence[Update]], Awaitable[None]]
Sleep = Callable[[float], Awaitable[Any]]


def each_arrival(
    take: Callable[[Update], T | None], on_arrival: Callable[[T], Awaitable[None]]
) -> Handler:
    """A batch handler that converts each update (``TelegramTransport.take``) and
    hands what the pipeline wants to ``on_arrival``, one at a time, in order. An
    exception stops the batch; the whole batch comes again (the turn ledger drops
    what was already answered)."""

    async def handle(updates: Sequence[Update]) -> None:
        for update in updates:
            arrival = take(update)
            if arrival is not None:
                await on_arrival(arrival)

    return handle


_REFUSED = "Telegram refused the bot's token: check it with BotFather"


class TokenRefused(CredentialsRefused):
    """Telegram does not know the bot's token (revoked, or mistyped)."""


class Poller:
    def __init__(
        self,
        bot: Bot,
        offsets: OffsetStore,
        handler: Handler,
        *,
        timeout_seconds: float = 25.0,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._bot = bot
        self._offsets = offsets
        self._handler = handler
        self._timeout = max(0, int(timeout_seconds))
        self._sleep = sleep
        self._offset = offsets.load()
        self._backoff = FIRST_BACKOFF

    @property
    def offset(self) -> int | None:
        """The next update_id asked for; None before the first batch."""
        return self._offset

    async def run(self) -> None:
        """Poll until cancelled. Cancelling mid-batch saves nothing for that batch,
        so it is handed over again by the next run."""
        logs.event("telegram_polling", resumed=self._offset is not None)
        await self._leave_webhook()
        while True:
            await self.poll_once()

    async def poll_once(self) -> int:
        """One request and its batch; returns how many updates were handled."""
        try:
            updates = await self._bot(
                GetUpdates(
                    offset=self._offset,
                    limit=BATCH_LIMIT,
                    timeout=self._timeout,
                    allowed_updates=ALLOWED_UPDATES,
                ),
                request_timeout=self._timeout + REQUEST_MARGIN_SECONDS,
            )
        except TelegramRetryAfter as exc:
            logs.warning("rate_limited", call="get_updates", retry_after_ms=exc.retry_after * 1000)
            await self._sleep(exc.retry_after)
            return 0
        except TelegramUnauthorizedError:
            raise TokenRefused(_REFUSED) from None
        except TelegramAPIError as exc:
            await self._back_off("telegram_poll_failed", exc)
            return 0
        except Exception as exc:
            # A reply that is not the Bot API's JSON (a proxy's error page, a local
            # Bot API server restarting) is one more failed poll, never the end.
            await self._back_off("telegram_poll_failed", exc)
            return 0
        self._backoff = FIRST_BACKOFF
        if not updates:
            return 0
        try:
            await self._handler(updates)
        except Exception as exc:  # the batch comes back on the next poll
            await self._back_off("telegram_batch_failed", exc, updates=len(updates))
            return 0
        self._offset = updates[-1].update_id + 1
        try:
            self._offsets.save(self._offset)
        except Exception as exc:
            # Handled, but the offset is only in memory: a restart now would hand
            # the batch over again, which the turn ledger drops.
            await self._back_off("telegram_offset_unsaved", exc, updates=len(updates))
        logs.event("telegram_batch", updates=len(updates))
        return len(updates)

    async def _leave_webhook(self) -> None:
        """A webhook left from webhook mode makes Telegram refuse every long poll."""
        try:
            await self._bot.delete_webhook(drop_pending_updates=False)
        except TelegramUnauthorizedError:
            raise TokenRefused(_REFUSED) from None
        except TelegramAPIError as exc:
            logs.warning("telegram_poll_failed", error=type(exc).__name__, wait_s=0)

    async def _back_off(self, kind: str, exc: BaseException, **counts: int) -> None:
        logs.warning(kind, error=type(exc).__name__, wait_s=self._backoff, **counts)
        await self._sleep(self._backoff)
        self._backoff = min(MAX_BACKOFF, self._backoff * 2)
