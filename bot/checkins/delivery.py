"""Delivers a check-in step's messages from the vault outbox, exactly once.

Messages are sent with idempotency keys derived from the outbox key, so a resend
after a crash reaches the participant once (the homeserver dedupes Matrix's
transaction ids; the Telegram transport keeps its own sealed record). Messages no longer wanted
(the participant paused, withdrew, was taken over, or hours have passed) are
dropped instead of sent.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from bot import logs
from bot.config import GatewayConfig
from bot.core.checkins import eligible
from bot.core.model import Participant
from bot.errors import ParticipantUnreachable, TransportError
from bot.state.checkins import CheckinStore, Outbox
from bot.state.participants import ParticipantRegistry
from bot.transports import port
from bot.transports.traffic import Traffic, send_after_pages

MAX_SEND_ATTEMPTS = 3


class CheckinDelivery:
    def __init__(
        self,
        config: GatewayConfig,
        registry: ParticipantRegistry,
        store: CheckinStore,
        sender: port.Outbox,
        traffic: Traffic,
        unreachable: Callable[[Participant], Awaitable[None]] | None = None,
    ) -> None:
        self._config = config
        self._unreachable = unreachable
        self._registry = registry
        self._store = store
        self._sender = sender
        self._traffic = traffic
        self._send_failures: dict[str, int] = {}

    async def flush(self, pseudonym: str) -> None:
        """Send a step's messages, once; drop them if they are no longer wanted."""
        state, outbox = self._store.get(pseudonym)
        if outbox is None:
            return
        participant = self._registry.get(pseudonym)
        reason = self._unwanted(participant, outbox)
        if reason is not None or participant is None or participant.room_id is None:
            self._store.save(pseudonym, state, None)
            logs.event("checkin_messages_dropped", participant=pseudonym, reason=reason)
            return
        expected = participant.room_members(self._config.matrix.bot_user_id)
        try:
            await send_after_pages(
                self._sender,
                self._traffic,
                participant.room_id,
                outbox.replies,
                outbox.key,
                expected,
            )
        except ParticipantUnreachable:
            # They blocked the bot: no retry reaches them. The step is dropped and
            # their mediator hears (content-free), as for an answer that cannot go.
            self._send_failures.pop(pseudonym, None)
            self._store.save(pseudonym, self._store.get(pseudonym)[0], None)
            logs.warning("checkin_messages_dropped", participant=pseudonym, reason="unreachable")
            if self._unreachable is not None:
                await self._unreachable(participant)
            return
        except (TransportError, OSError, asyncio.TimeoutError) as exc:
            failures = self._send_failures[pseudonym] = self._send_failures.get(pseudonym, 0) + 1
            logs.warning("checkin_send_failed", participant=pseudonym, error=type(exc).__name__)
            if failures >= MAX_SEND_ATTEMPTS:
                self._send_failures.pop(pseudonym, None)
                self._store.save(pseudonym, self._store.get(pseudonym)[0], None)
                logs.warning("checkin_messages_dropped", participant=pseudonym, reason="failing")
            return  # the outbox stays; the next tick tries again
        self._send_failures.pop(pseudonym, None)
        state, _ = self._store.get(pseudonym)
        self._store.save(pseudonym, state, None)

    def _unwanted(self, participant: Participant | None, outbox: Outbox) -> str | None:
        if participant is None:
            return "gone"
        if not eligible(participant, self._config.dialogue.consent_version):
            return "not_eligible"  # paused, withdrawn or handed over since
        if time.time() - outbox.created_at > self._config.checkins.timing.start_window:
            return "stale"  # e.g. a restart after hours: no opener in the night
        return None
