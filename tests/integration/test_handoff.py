"""A mediator takes over a chat and gives it back; the screen keeps watching."""

from __future__ import annotations

import asyncio

import pytest

from bot.launcher.stack import DEMO_MEDIATOR, user_id
from tests.conftest import RunningStack, Staff
from tests.integration.test_escalation import close, page_for

pytestmark = pytest.mark.integration


async def test_take_and_release_round_trip(running_stack: RunningStack, staff: Staff) -> None:
    client = await running_stack.new_client(
        "handoff", enroll_language="sv", mediator=user_id(DEMO_MEDIATOR)
    )
    mediator = staff.mediator
    try:
        room = await client.open_chat(running_stack.bot_user_id)
        await client.send(room, "hej")
        await client.quiet_for(room, 3)
        code = running_stack.participant_code(str(client.client.user_id))

        await mediator.send(staff.desk(mediator), f"!take {code} they asked to talk")
        await page_for(mediator, staff.desk(mediator), f"{code}: you are invited")
        await mediator.wait_for_member(room, user_id(DEMO_MEDIATOR), timeout=20)
        told = " ".join(await client.replies(room, 1, timeout=20))
        assert "person från programmet" in told

        # The bot is silent while the mediator talks; the two people hear each other.
        await client.send(room, "hej, tack för att du kom")
        await mediator.replies(room, 1, timeout=20)
        await mediator.send(room, "Hej, jag är här nu.")
        assert await client.replies(room, 1, timeout=20) == ["Hej, jag är här nu."]
        assert await client.quiet_for(room, 3) == []

        # The screen still runs: a threat during the handoff still pages.
        await client.send(room, "jag är på väg hem till henne med kniven nu")
        page = await page_for(mediator, staff.desk(mediator), f"participant {code}")
        assert "IMMINENT" in page
        await close(staff, page)
        assert await client.quiet_for(room, 3) == []

        await mediator.send(staff.desk(mediator), f"!release {code}")
        await page_for(mediator, staff.desk(mediator), f"{code} is back with samtal")
        back = " ".join(await client.replies(room, 1, timeout=20))
        assert "samtal" in back
        await mediator.client.room_leave(room)
        await asyncio.sleep(2)
        await client.send(room, "hej")
        assert await client.replies(room, 1, timeout=30)  # the bot answers again
    finally:
        await client.stop()
