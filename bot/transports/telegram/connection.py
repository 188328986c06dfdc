"""Telegram, assembled for the gateway: the bot account, the transport, enrolment
links, and the long poll (or webhook) that hands over what arrives.

The gateway gives two callbacks: one for messages (the same pipeline as Matrix's)
and one for people who opened the chat through an enrolment link. A callback that
raises leaves the batch unconfirmed, so Telegram delivers it again; the turn
ledger drops what was already answered.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

from aiogram.types import Update

from bot import logs
from bot.core.model import Inbound, Invited
from bot.transports.telegram.client import make_bot
from bot.transports.telegram.enrolment_codes import EnrolmentCodes
from bot.transports.telegram.offsets import OffsetStore
from bot.transports.telegram.poller import Poller
from bot.transports.telegram.settings import TelegramSettings, read_token
from bot.transports.telegram.transport import TelegramTransport
from bot.transports.telegram.updates import StartCommand
from bot.transports.telegram.webhook import start_webhook, webhook_secret
from safety.vault import Vault

OnMessage = Callable[[Inbound], Awaitable[None]]
OnInvited = Callable[[Invited], Awaitable[None]]
# Someone opened the chat without a code that works: (conversation, person, event id).
OnStranger = Callable[[str, str, str], Awaitable[None]]


class TelegramConnection:
    def __init__(
        self,
        settings: TelegramSettings,
        vault: Vault,
        owner_of: Callable[[str], str | None],
    ) -> None:
        self._settings = settings
        self._vault = vault
        self.bot = make_bot(read_token(settings), settings.api_url)
        self.transport = TelegramTransport(self.bot, vault, owner_of)
        self.codes = EnrolmentCodes(vault)

    async def run(
        self, on_message: OnMessage, on_invited: OnInvited, on_stranger: OnStranger
    ) -> None:
        """Receive until cancelled."""

        async def handler(updates: Sequence[Update]) -> None:
            # In order, one at a time; the transport learns from each who started a chat.
            for update in updates:
                arrival = self.transport.take(update)
                if isinstance(arrival, StartCommand):
                    await self._started(arrival, on_invited, on_stranger)
                elif arrival is not None:
                    await on_message(arrival)

        if self._settings.mode == "webhook" and self._settings.webhook_url:
            runner = await start_webhook(
                self.bot,
                self._settings.webhook_url,
                self._settings.webhook_port,
                webhook_secret(self._vault),
                handler,
            )
            try:
                await asyncio.Event().wait()  # Telegram posts; this waits to be cancelled
            finally:
                await runner.cleanup()
            return
        poller = Poller(
            self.bot,
            OffsetStore(self._vault),
            handler,
            timeout_seconds=self._settings.poll_timeout_seconds,
        )
        await poller.run()

    async def _started(
        self, start: StartCommand, on_invited: OnInvited, on_stranger: OnStranger
    ) -> None:
        pending = (
            self.codes.redeem(start.code, start.user_id, start.username) if start.code else None
        )
        if pending is None:
            await on_stranger(start.conversation, start.person, start.event_id)
            return
        await on_invited(
            Invited(
                person=pending.person,
                conversation=start.conversation,
                language=pending.language,
                mediator=pending.mediator,
                schedule=pending.schedule,
                event_id=start.event_id,
            )
        )
        # Spent only now: had enrolling failed, pressing Start again would still work.
        self.codes.spend(pending)

    def purge_expired_codes(self) -> None:
        purged = self.codes.purge_expired()
        if purged:
            logs.event("telegram_codes_expired", count=purged)

    async def close(self) -> None:
        await self.transport.close()
