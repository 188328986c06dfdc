"""Which invites the bot accepts, and what it does on joining."""

from __future__ import annotations

from nio import AsyncClient

from bot import logs
from bot.config import GatewayConfig
from bot.core.texts import text
from bot.matrix.calls import checked
from bot.matrix.intake import Invite
from bot.matrix.sender import Sender, transaction_id
from bot.state.participants import ParticipantRegistry


class InviteHandler:
    def __init__(
        self,
        client: AsyncClient,
        config: GatewayConfig,
        registry: ParticipantRegistry,
        sender: Sender,
    ) -> None:
        self._client = client
        self._config = config
        self._registry = registry
        self._sender = sender

    async def handle(self, invite: Invite) -> None:
        participant = self._registry.find(invite.inviter)
        is_mediator = invite.inviter in self._config.matrix.mediators
        if participant is None and not is_mediator:
            # Nothing about a stranger is stored; the invite is simply declined.
            checked("room_leave", await self._client.room_leave(invite.room_id))
            logs.event("invite_declined", reason="not_enrolled")
            return
        room = self._client.invited_rooms.get(invite.room_id)
        encrypted = invite.encrypted or (room is not None and room.encrypted)
        checked("join", await self._client.join(invite.room_id))
        if participant is None:
            logs.event("invite_accepted", role="mediator")
            return
        logs.event("invite_accepted", role="participant", participant=participant.pseudonym)
        if not encrypted:
            refusal = text("unencrypted_room", participant.language)
            expected = frozenset({self._config.matrix.bot_user_id, participant.matrix_id})
            await self._sender.notice(
                invite.room_id, refusal, transaction_id(invite.room_id, 0), expected
            )
            checked("room_leave", await self._client.room_leave(invite.room_id))
            logs.event("room_refused", participant=participant.pseudonym, reason="unencrypted")
