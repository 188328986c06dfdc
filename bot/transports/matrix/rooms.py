"""Rooms the bot creates: always end-to-end encrypted from their first event."""

from __future__ import annotations

from collections.abc import Sequence

from nio import AsyncClient, RoomCreateResponse

from bot.transports.matrix.calls import checked

# Set at creation, so no message can ever be sent in the room unencrypted.
ENCRYPTION_STATE = {
    "type": "m.room.encryption",
    "state_key": "",
    "content": {"algorithm": "m.megolm.v1.aes-sha2"},
}


async def create_encrypted_room(
    client: AsyncClient,
    invite: Sequence[str],
    *,
    name: str | None = None,
    topic: str | None = None,
    is_direct: bool = False,
) -> str:
    """Create the room, invite ``invite``, and return its id."""
    response = checked(
        "room_create",
        await client.room_create(
            name=name,
            topic=topic,
            invite=list(invite),
            is_direct=is_direct,
            initial_state=[ENCRYPTION_STATE],
        ),
    )
    assert isinstance(response, RoomCreateResponse)
    return str(response.room_id)
