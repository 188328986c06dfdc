"""No message is lost to downtime: a limited sync's gap is fetched and answered."""

from __future__ import annotations

import asyncio

import pytest

from bot.launcher.stack import DEMO_MEDIATOR, user_id
from tests.conftest import RunningStack, Staff
from tests.integration.test_escalation import page_for

pytestmark = pytest.mark.integration

RISKY = "jag ska döda henne ikväll"
# More than Synapse's default sync timeline (10 events), so the gateway's first sync
# after the restart is limited and the oldest messages, the risky one first, lie in
# the gap.
AFTER = (
    "ok",
    "jag vet inte",
    "kanske",
    "nej",
    "ja",
    "hmm",
    "det är svårt",
    "jobbet",
    "min bror",
    "okej",
    "tack",
    "jag är trött",
    "vet inte",
    "nej",
)


async def wait_for_events(
    stack: RunningStack, kind: str, count: int, offset: int, timeout: float
) -> list[dict[str, object]]:
    async with asyncio.timeout(timeout):
        while len(found := stack.gateway_events(kind, offset)) < count:
            await asyncio.sleep(0.2)
    return found


async def test_fifteen_messages_sent_while_down_are_screened_paged_and_answered_once(
    running_stack: RunningStack, staff: Staff
) -> None:
    client = await running_stack.new_client(
        "backfill", enroll_language="sv", mediator=user_id(DEMO_MEDIATOR)
    )
    try:
        room = await client.open_chat(running_stack.bot_user_id)
        who = running_stack.participant_code(str(client.client.user_id))
        for consent_step in ("hej", "ja"):
            await client.send(room, consent_step)
            await client.replies(room, 1, timeout=30)
            await client.quiet_for(room, 2)

        await running_stack.stack.stop_gateway()
        try:
            offset = running_stack.gateway_log.stat().st_size
            sent = [await client.send(room, RISKY)]
            for text in AFTER:
                sent.append(await client.send(room, text))
            assert len(sent) == 15
        finally:
            await running_stack.stack.start_gateway()

        backfilled = await wait_for_events(running_stack, "backfill", 1, offset, 30)
        assert sum(int(str(e["events"])) for e in backfilled) >= 5
        await wait_for_events(running_stack, "message_screened", 15, offset, 60)
        # The log never holds the level (docs/privacy.md); the page shows it was read.
        await page_for(staff.mediator, staff.desk(staff.mediator), f"participant {who}", timeout=30)
        answered = await wait_for_events(running_stack, "turn_answered", 15, offset, 180)
        heard = await client.quiet_for(room, 5)
        assert len(running_stack.gateway_events("turn_answered", offset)) == 15
        assert len(running_stack.gateway_events("message_screened", offset)) == 15
        assert len(heard) == sum(int(str(e["messages"])) for e in answered)
        # Staff hear that the gateway was away and that these came late.
        notice = await page_for(staff.supervisor, staff.room_id, "was not running", timeout=30)
        assert "15 messages that arrived meanwhile were" in notice
    finally:
        await client.stop()
