"""Who the bot talks to, and where: enrolled people, in encrypted private rooms."""

from __future__ import annotations

import asyncio

import pytest
from nio import (
    JoinResponse,
    RoomCreateResponse,
    RoomGetStateEventResponse,
    RoomInviteResponse,
    RoomSendResponse,
)

from tests.conftest import RunningStack, Staff
from tests.integration.test_escalation import close, page_for

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


IMMINENT_SV = "jag är på väg hem till henne med kniven nu"
UNENCRYPTED_IMMINENT_SV = "jag åker hem till henne nu med kniven, i kväll dör hon"


async def test_risk_in_an_unencrypted_room_is_screened_and_paged(
    running_stack: RunningStack, staff: Staff
) -> None:
    client = await running_stack.new_client("plain-risk", enroll_language="sv")
    try:
        created = await client.client.room_create(is_direct=True)
        assert isinstance(created, RoomCreateResponse)
        room = str(created.room_id)
        # Written before the bot is invited, so it is in the room when the bot joins
        # and reads it, however slowly the participant's phone sends: sent after the
        # invite, it raced the bot's refusal and lost on a busy machine. The room is not
        # encrypted, so the homeserver holds this text in the clear: it is sent past the
        # recording client, and the canary does not look for it.
        sent = await client.client.room_send(
            room, "m.room.message", {"msgtype": "m.text", "body": UNENCRYPTED_IMMINENT_SV}
        )
        assert isinstance(sent, RoomSendResponse)
        invited = await client.client.room_invite(room, running_stack.bot_user_id)
        assert isinstance(invited, RoomInviteResponse)
        who = running_stack.participant_code(str(client.client.user_id))
        page = await page_for(staff.on_call, staff.desk(staff.on_call), f"participant {who}")
        assert "IMMINENT" in page
        await close(staff, page)
    finally:
        await client.stop()


async def test_risk_in_a_room_with_a_stranger_is_paged_though_no_answer_can_go(
    running_stack: RunningStack, staff: Staff
) -> None:
    client = await running_stack.new_client("crowded", enroll_language="sv")
    stranger = await running_stack.new_client("onlooker", enroll_language=None)
    try:
        room = await client.open_chat(running_stack.bot_user_id)
        await client.send(room, "hej")
        await client.replies(room, 1, timeout=30)
        await client.quiet_for(room, 1)
        invited = await client.client.room_invite(room, str(stranger.client.user_id))
        assert isinstance(invited, RoomInviteResponse)
        assert isinstance(await stranger.client.join(room), JoinResponse)
        await client.wait_for_member(room, str(stranger.client.user_id), timeout=30)
        offset = running_stack.gateway_log.stat().st_size
        await client.send(room, IMMINENT_SV)
        who = running_stack.participant_code(str(client.client.user_id))
        page = await page_for(staff.on_call, staff.desk(staff.on_call), f"participant {who}")
        assert "IMMINENT" in page
        # Nothing is sent where a stranger's devices would get the keys, and the
        # message is recorded as handled, not retried until it is dropped.
        async with asyncio.timeout(20):
            while not running_stack.gateway_events("turn_refused", offset):
                await asyncio.sleep(0.2)
        assert running_stack.gateway_events("refusal_withheld", offset)
        assert not running_stack.gateway_events("turn_intake_failed", offset)
        await close(staff, page)
    finally:
        await stranger.stop()
        await client.stop()
