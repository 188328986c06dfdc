"""Collect what a sync delivered, so it is handled after the sync, in order.

nio runs event callbacks inside ``sync``; doing real work there would tie the
sync position to half-handled events. The callbacks only queue.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from nio import (
    AsyncClient,
    InviteMemberEvent,
    MatrixRoom,
    MegolmEvent,
    ReactionEvent,
    RoomMessageText,
)

from bot.core.model import Inbound
from bot.core.own_words import own_words
from bot.ids import EventId, MatrixUserId, RoomId


@dataclass(frozen=True)
class Invite:
    room_id: RoomId
    inviter: MatrixUserId


@dataclass(frozen=True)
class Reaction:
    room_id: RoomId
    sender: MatrixUserId
    reacts_to: EventId
    key: str


@dataclass
class Batch:
    messages: list[Inbound] = field(default_factory=list)
    invites: dict[str, Invite] = field(default_factory=dict)
    undecryptable: list[MegolmEvent] = field(default_factory=list)
    reactions: list[Reaction] = field(default_factory=list)

    def clear(self) -> None:
        self.messages.clear()
        self.invites.clear()
        self.undecryptable.clear()
        self.reactions.clear()


def to_inbound(room: MatrixRoom, event: RoomMessageText) -> Inbound:
    content = event.source.get("content") if isinstance(event.source, dict) else None
    words = own_words(content if isinstance(content, dict) else {"body": event.body})
    return Inbound(
        event_id=EventId(event.event_id),
        sender=MatrixUserId(event.sender),
        room_id=RoomId(room.room_id),
        text=words.text,
        room_encrypted=room.encrypted,
        room_members=frozenset(room.users),
        timestamp_ms=int(event.server_timestamp),
        replaces=EventId(words.replaces) if words.replaces else None,
    )


class Intake:
    def __init__(self, client: AsyncClient, bot_user_id: str) -> None:
        self.batch = Batch()
        self._bot = bot_user_id
        client.add_event_callback(self._on_text, RoomMessageText)
        client.add_event_callback(self._on_undecryptable, MegolmEvent)
        client.add_event_callback(self._on_invite, InviteMemberEvent)
        client.add_event_callback(self._on_reaction, ReactionEvent)

    async def _on_reaction(self, room: MatrixRoom, event: ReactionEvent) -> None:
        if event.sender != self._bot:
            self.batch.reactions.append(
                Reaction(
                    room_id=RoomId(room.room_id),
                    sender=MatrixUserId(event.sender),
                    reacts_to=EventId(event.reacts_to),
                    key=event.key,
                )
            )

    async def _on_text(self, room: MatrixRoom, event: RoomMessageText) -> None:
        if event.sender != self._bot:
            self.batch.messages.append(to_inbound(room, event))

    async def _on_undecryptable(self, room: MatrixRoom, event: MegolmEvent) -> None:
        if event.sender != self._bot:
            self.batch.undecryptable.append(event)

    async def _on_invite(self, room: MatrixRoom, event: InviteMemberEvent) -> None:
        if event.state_key != self._bot or event.membership != "invite":
            return
        self.batch.invites[room.room_id] = Invite(
            room_id=RoomId(room.room_id),
            inviter=MatrixUserId(event.sender),
        )
