"""Each staff member's desk: pages reach the people paged, and a desk with a stranger
in it is routed around, so one broken room never stops paging."""

from __future__ import annotations

import asyncio
from urllib.parse import quote

import aiohttp
import pytest
from nio import RoomInviteResponse, RoomKickResponse

from bot.launcher.stack import LAUNCHER_ADMIN_FILES
from tests.conftest import RunningStack, Staff
from tests.integration.test_escalation import (
    CODE,
    IMMINENT_SV,
    close,
    notices_about,
    page_for,
    participant,
)

pytestmark = pytest.mark.integration


async def make_room_admin(stack: RunningStack, room_id: str, matrix_id: str) -> None:
    """Synapse's admin API raises a member to the room's highest power level (as an
    operator might, by mistake, to let a colleague in)."""
    token = stack.stack.layout.stored_secret(LAUNCHER_ADMIN_FILES["token"])
    assert token is not None
    url = (
        stack.stack.homeserver_url
        + f"/_synapse/admin/v1/rooms/{quote(room_id, safe='')}/make_room_admin"
    )
    async with aiohttp.ClientSession() as session:
        async with session.post(
            url, json={"user_id": matrix_id}, headers={"Authorization": f"Bearer {token}"}
        ) as response:
            assert response.status == 200, await response.text()


async def test_pages_reach_only_the_desks_paged(running_stack: RunningStack, staff: Staff) -> None:
    client, room, who = await participant(running_stack)
    offset = running_stack.gateway_log.stat().st_size
    try:
        await client.send(room, "I know where she lives now and I called her 40 times")
        page = await page_for(staff.mediator, staff.desk(staff.mediator), f"participant {who}")
        code = CODE.search(page)
        assert code is not None
        # The gateway sent it to one desk only, and nobody else's client holds it.
        sent = [
            e
            for e in running_stack.gateway_events("escalation_notice_sent", offset)
            if e["code"] == code.group() and e["notice"] == "page"
        ]
        assert [e["desks"] for e in sent] == [1]
        for other in (staff.on_call, staff.supervisor):
            firsts = [
                b for b in notices_about(other, staff.desk(other), code.group()) if "⏱" not in b
            ]
            assert firsts == []
        await close(staff, page)
    finally:
        await client.stop()


async def test_a_desk_with_a_stranger_is_routed_around(
    running_stack: RunningStack, staff: Staff
) -> None:
    desk = staff.desk(staff.mediator)
    mediator_id = str(staff.mediator.client.user_id)
    stranger_id, _ = await running_stack.register("colleague")
    await make_room_admin(running_stack, desk, mediator_id)
    await asyncio.sleep(1)  # the power level reaches the mediator's client
    invited = await staff.mediator.client.room_invite(desk, stranger_id)
    assert isinstance(invited, RoomInviteResponse), invited
    client, room, who = await participant(running_stack)
    offset = running_stack.gateway_log.stat().st_size
    try:
        await asyncio.sleep(2)  # the bot's sync sees the invitation
        await client.send(room, IMMINENT_SV)
        # On-call gets the page in the mediator's place; the supervisors hear which
        # desk is routed around, and nothing of the participant goes there.
        page = await page_for(staff.on_call, staff.desk(staff.on_call), f"participant {who}")
        assert "IMMINENT" in page
        warning = await page_for(
            staff.supervisor, staff.desk(staff.supervisor), f"desk of {mediator_id}"
        )
        assert who not in warning
        assert running_stack.gateway_events("desk_has_strangers", offset)
        code = CODE.search(page)
        assert code is not None
        # Imminent pages mediator and on-call: the gateway sent it to on-call's desk alone.
        sent = [
            e
            for e in running_stack.gateway_events("escalation_notice_sent", offset)
            if e["code"] == code.group() and e["notice"] == "page"
        ]
        assert [e["desks"] for e in sent] == [1]
        assert not notices_about(staff.mediator, desk, who)
        # Nor does a command typed there run: its answer could not be sent.
        await staff.mediator.send(desk, "!list")
        async with asyncio.timeout(20):
            while not running_stack.gateway_events("desk_command_ignored", offset):
                await asyncio.sleep(0.2)
        assert not [e for e in running_stack.gateway_events("staff_command", offset)]
        await close(staff, page)
    finally:
        kicked = await staff.mediator.client.room_kick(desk, stranger_id)
        assert isinstance(kicked, RoomKickResponse), kicked
        await client.stop()
