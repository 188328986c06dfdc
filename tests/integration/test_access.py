"""Who the bot talks to, and where: enrolled people, in encrypted private rooms."""

from __future__ import annotations

import pytest
from nio import RoomGetStateEventResponse

from tests.conftest import RunningStack

pytestmark = pytest.mark.integration


async def test_stranger_invite_is_declined_and_gets_no_checkin(
    running_stack: RunningStack,
) -> None:
    client = await running_stack.new_client("stranger", enroll_language=None)
    try:
        room = await client.open_chat(running_stack.bot_user_id, wait_for_join=False)
        await client.send(room, "hej, kan vi prata?")
        heard = await client.quiet_for(room, 6)
        assert heard == []
        # The bot declined: the homeserver records its membership as "leave".
        state = await client.client.room_get_state_event(
            room, "m.room.member", running_stack.bot_user_id
        )
        assert isinstance(state, RoomGetStateEventResponse)
        assert state.content["membership"] == "leave"
    finally:
        await client.stop()


async def test_unencrypted_room_gets_the_refusal(running_stack: RunningStack) -> None:
    client = await running_stack.new_client("plain", enroll_language="en")
    try:
        room = await client.open_chat(
            running_stack.bot_user_id, encrypted=False, wait_for_join=False
        )
        replies = await client.replies(room, 1, timeout=30)
        assert "not encrypted" in replies[0]
        assert "encrypted" in replies[0]
    finally:
        await client.stop()
