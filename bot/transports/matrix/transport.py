"""Matrix as a transport: the port (`bot.transports.port`) over nio's client.

Every room the bot creates is end-to-end encrypted from its first event; what the
bot knows about a room is what the last sync told it.
"""

from __future__ import annotations

from nio import AsyncClient, RoomMessagesResponse

from bot.transports.matrix.calls import checked
from bot.transports.matrix.room_keys import drop_room_keys
from bot.transports.matrix.rooms import create_encrypted_room
from bot.transports.matrix.sender import Sender
from bot.transports.port import Forgotten

# Pages of 100 events read back when clearing a room: 5,000 events, far more than a
# programme's worth of check-ins.
MAX_PAGES = 50


class MatrixTransport:
    def __init__(self, client: AsyncClient, sender: Sender) -> None:
        self._client = client
        self._sender = sender

    @property
    def name(self) -> str:
        return "matrix"

    @property
    def own_id(self) -> str:
        return str(self._client.user_id)

    @property
    def last_timing_ms(self) -> tuple[float, float]:
        return self._sender.last_timing_ms

    def owns(self, conversation: str) -> bool:
        return conversation.startswith(("!", "@"))

    def knows(self, conversation: str) -> bool:
        return conversation in self._client.rooms

    def members(self, conversation: str) -> frozenset[str]:
        room = self._client.rooms.get(conversation)
        return frozenset() if room is None else frozenset(room.users)

    def joined(self, conversation: str, person: str) -> bool:
        room = self._client.rooms.get(conversation)
        return room is not None and person in set(room.users) - set(room.invited_users)

    def encrypted(self, conversation: str) -> bool:
        room = self._client.rooms.get(conversation)
        return room is not None and bool(room.encrypted)

    async def notice(
        self,
        conversation: str,
        text: str,
        key: str,
        expected: frozenset[str],
        *,
        mentions: tuple[str, ...] = (),
        page: bool = False,
    ) -> str:
        return await self._sender.notice(
            conversation, text, key, expected, mentions=mentions, page=page
        )

    async def redact(self, conversation: str, message_id: str, reason: str) -> None:
        await self._sender.redact(conversation, message_id, reason)

    async def typing(self, conversation: str, active: bool) -> None:
        await self._sender.typing(conversation, active)

    async def open_conversation(
        self,
        people: tuple[str, ...],
        *,
        name: str | None = None,
        topic: str | None = None,
        direct: bool = False,
    ) -> str:
        return await create_encrypted_room(
            self._client, list(people), name=name, topic=topic, is_direct=direct
        )

    async def bring_in(self, conversation: str, person: str) -> bool:
        # Invited into the participant's own room: the two people talk end to end,
        # and the bot relays no words it could alter.
        if person not in self.members(conversation):
            checked("room_invite", await self._client.room_invite(conversation, person))
        return True

    async def forget_conversation(self, conversation: str) -> Forgotten:
        if conversation not in self._client.rooms:
            return Forgotten(deleted=0, kept=0)
        redacted = await self._redact_own_messages(conversation)
        checked("room_leave", await self._client.room_leave(conversation))
        keys = drop_room_keys(self._client, conversation)
        return Forgotten(deleted=redacted, kept=0, room_keys=keys)

    async def _redact_own_messages(self, room_id: str) -> int:
        """Redact every event the bot sent in ``room_id``; return how many."""
        redacted = 0
        token: str | None = None
        for _ in range(MAX_PAGES):
            page = checked(
                "room_messages",
                await self._client.room_messages(room_id, start=token, limit=100),
            )
            assert isinstance(page, RoomMessagesResponse)
            for event in page.chunk:
                if getattr(event, "sender", None) == self._client.user_id:
                    checked("room_redact", await self._client.room_redact(room_id, event.event_id))
                    redacted += 1
            if not page.chunk or page.end is None or page.end == token:
                break
            token = page.end
        return redacted
