"""A participant's new encrypted room gets its room key ahead of the first answer."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

from bot import logs
from bot.core.model import Participant
from bot.ids import MatrixUserId, ParticipantId, RoomId
from bot.transports.matrix.intake import Invite
from bot.transports.matrix.invites import InviteHandler

BOT = "@samtal:localhost"
PERSON = "@deltagare:localhost"
ROOM = "!room:localhost"
PARTICIPANT = Participant(
    pseudonym=ParticipantId("p-1"), matrix_id=MatrixUserId(PERSON), language="sv"
)


class _Client:
    def __init__(self) -> None:
        self.rooms: dict[str, Any] = {}
        self.joined: list[str] = []

    async def join(self, room_id: str) -> object:
        self.joined.append(room_id)
        return SimpleNamespace()


class _Registry:
    def find(self, matrix_id: str) -> Participant | None:
        return PARTICIPANT if matrix_id == PERSON else None


def _handler(client: _Client, share: Any) -> InviteHandler:
    config = SimpleNamespace(matrix=SimpleNamespace(bot_user_id=BOT, mediators=()))
    return InviteHandler(client, config, _Registry(), None, share_key_ahead=share)  # type: ignore[arg-type]


async def _ready(handler: InviteHandler, client: _Client) -> list[tuple[str, str]]:
    """Accept the participant's invite, let the room's state arrive, check it."""
    seen: list[tuple[str, str]] = []
    stop = logs.observe(lambda level, kind, fields: seen.append((level, kind)))
    try:
        await handler.handle(Invite(room_id=RoomId(ROOM), inviter=MatrixUserId(PERSON)))
        client.rooms[ROOM] = SimpleNamespace(encrypted=True)
        await handler.check_joined_rooms()
        for _ in range(5):  # the share runs in the background
            await asyncio.sleep(0)
    finally:
        stop()
    return seen


async def test_the_key_is_shared_with_the_room_s_expected_members() -> None:
    client = _Client()
    shared: list[tuple[str, frozenset[str]]] = []

    async def share(room_id: str, expected: frozenset[str]) -> bool:
        shared.append((room_id, expected))
        return True

    seen = await _ready(_handler(client, share), client)
    assert client.joined == [ROOM]
    assert shared == [(ROOM, frozenset({BOT, PERSON}))]
    assert ("info", "room_key_shared_ahead") in seen


async def test_a_failed_share_is_a_warning_and_nothing_more() -> None:
    client = _Client()

    async def share(room_id: str, expected: frozenset[str]) -> bool:
        raise RuntimeError("homeserver away")

    seen = await _ready(_handler(client, share), client)
    assert ("warning", "room_key_ahead_failed") in seen
    assert ("info", "room_key_shared_ahead") not in seen
