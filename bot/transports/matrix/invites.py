"""Which invites the bot accepts, and what it does on joining."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from nio import AsyncClient

from bot import logs
from bot.config import GatewayConfig
from bot.core.texts import text
from bot.state.participants import ParticipantRegistry
from bot.transports.idempotency import transaction_id
from bot.transports.matrix.calls import checked
from bot.transports.matrix.intake import Invite
from bot.transports.port import Outbox


class InviteHandler:
    def __init__(
        self,
        client: AsyncClient,
        config: GatewayConfig,
        registry: ParticipantRegistry,
        sender: Outbox,
        share_key_ahead: Callable[[str, frozenset[str]], Awaitable[bool]] | None = None,
        pages_first: Callable[[], Awaitable[bool]] | None = None,
    ) -> None:
        self._client = client
        self._config = config
        self._registry = registry
        self._sender = sender
        self._awaiting_state: dict[str, str] = {}
        self._share_key_ahead = share_key_ahead
        self._pages_first = pages_first
        # Shares in flight; held here so none is collected before it finishes.
        self._sharing: set[asyncio.Task[None]] = set()
        # One share at a time, each after any waiting page: a crowd of new rooms
        # must not queue ahead of a page for the lock on key queries and claims.
        self._one_share = asyncio.Lock()

    async def handle(self, invite: Invite) -> None:
        participant = self._registry.find(invite.inviter)
        is_mediator = invite.inviter in self._config.matrix.mediators
        if participant is None and not is_mediator:
            # Nothing about a stranger is stored; the invite is simply declined.
            checked("room_leave", await self._client.room_leave(invite.room_id))
            logs.event("invite_declined", reason="not_enrolled")
            return
        checked("join", await self._client.join(invite.room_id))
        if participant is None:
            logs.event("invite_accepted", role="mediator")
            return
        logs.event("invite_accepted", role="participant", participant=participant.pseudonym)
        # nio does not read m.room.encryption from invite state, so whether the
        # room is encrypted is checked once its full state has been synced.
        self._awaiting_state[invite.room_id] = participant.matrix_id

    async def check_joined_rooms(self) -> None:
        """Refuse, with the reason, every newly joined room that is not encrypted."""
        for room_id, matrix_id in list(self._awaiting_state.items()):
            room = self._client.rooms.get(room_id)
            if room is None:
                continue
            del self._awaiting_state[room_id]
            participant = self._registry.find(matrix_id)
            if room.encrypted:
                if participant is not None:
                    self._share_ahead(
                        room_id, participant.room_members(self._config.matrix.bot_user_id)
                    )
                continue
            language = participant.language if participant else "sv"
            expected = frozenset({self._config.matrix.bot_user_id, matrix_id})
            await self._sender.notice(
                room_id, text("unencrypted_room", language), transaction_id(room_id, 0), expected
            )
            checked("room_leave", await self._client.room_leave(room_id))
            logs.event("room_refused", reason="unencrypted")

    def _share_ahead(self, room_id: str, expected: frozenset[str]) -> None:
        """Share the new room's key in the background: the sync goes on meanwhile, and
        a message sent before it finishes waits for it."""
        if self._share_key_ahead is None:
            return
        task = asyncio.create_task(self._shared_ahead(self._share_key_ahead, room_id, expected))
        self._sharing.add(task)
        task.add_done_callback(self._sharing.discard)

    async def _shared_ahead(
        self,
        share: Callable[[str, frozenset[str]], Awaitable[bool]],
        room_id: str,
        expected: frozenset[str],
    ) -> None:
        # Only a head start: the first message shares the key itself if this failed.
        try:
            async with self._one_share:
                if self._pages_first is not None:
                    await self._pages_first()
                if await share(room_id, expected):
                    logs.event("room_key_shared_ahead")
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            logs.warning("room_key_ahead_failed", error=type(exc).__name__)

    async def close(self) -> None:
        """Stop the shares still in flight (before the client closes under them)."""
        for task in list(self._sharing):
            task.cancel()
        await asyncio.gather(*self._sharing, return_exceptions=True)
