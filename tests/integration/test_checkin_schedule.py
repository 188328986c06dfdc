"""The gateway starts check-ins on schedule, reminds once, and pages a miss after high risk.

Test timings (bot.launcher.stack.TEST_CHECKINS): a tick every second, 3 s of
quiet before a start, a reminder after 15 s, missed after 30 s.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.launcher.stack import DEMO_MEDIATOR, user_id
from bot.participants.enrolment import enroll
from tests.conftest import RecordingChatClient, RunningStack, Staff
from tests.integration.test_conversation import say
from tests.integration.test_escalation import close, page_for

pytestmark = pytest.mark.integration

FIRST_QUESTION = "Hur har du mått"
REMINDER = "Din incheckning väntar"
HIGH_SV = "jag vet var hon bor nu och har ringt henne 40 gånger"


def schedule_due_now(
    stack: RunningStack, client: RecordingChatClient, mediator: str | None
) -> None:
    """Re-enrol with a daily schedule whose time is this minute, in the stack's local
    time (Europe/Stockholm, daylight saving included)."""
    local = datetime.fromtimestamp(time.time(), ZoneInfo("Europe/Stockholm"))
    home = stack.stack.layout.home
    enroll(home, str(client.client.user_id), "sv", mediator, f"daily@{local.strftime('%H:%M')}")


async def consented_participant(stack: RunningStack) -> tuple[RecordingChatClient, str]:
    client = await stack.new_client("sched", enroll_language="sv", mediator=user_id(DEMO_MEDIATOR))
    room = await client.open_chat(stack.bot_user_id)
    await say(client, room, "hej")
    assert FIRST_QUESTION in await say(client, room, "ja")
    return client, room


async def next_message_with(client: RecordingChatClient, room: str, needle: str, after: int) -> str:
    async with asyncio.timeout(45):
        while True:
            for got_room, _, body, _ in client.received[after:]:
                if got_room == room and needle in body:
                    return body
            await asyncio.sleep(0.2)


async def test_scheduled_check_in_starts_reminds_and_a_miss_after_high_risk_pages(
    running_stack: RunningStack, staff: Staff
) -> None:
    client, room = await consented_participant(running_stack)
    try:
        who = running_stack.participant_code(str(client.client.user_id))
        await client.send(room, HIGH_SV)
        page = await page_for(staff.mediator, staff.desk(staff.mediator), f"participant {who}")
        await close(staff, page)
        await client.quiet_for(room, 2.0)
        seen = len(client.received)
        offset = running_stack.gateway_log.stat().st_size
        schedule_due_now(running_stack, client, user_id(DEMO_MEDIATOR))
        # The gateway starts the check-in by itself: nobody wrote anything.
        await next_message_with(client, room, FIRST_QUESTION, seen)
        assert running_stack.gateway_events("checkin_start", offset)
        await next_message_with(client, room, REMINDER, seen)
        # Unanswered for 30 s, within a week of high risk: the mediator is paged.
        missed = await page_for(
            staff.mediator,
            staff.desk(staff.mediator),
            f"participant {who}",
            "missed_checkin_after_high",
        )
        assert "HIGH RISK" in missed
        await close(staff, missed)
        events = running_stack.gateway_events("checkin_missed", offset)
        assert len(events) == 1 and "after_high" not in events[0]
        # Started once and reminded once, whatever the number of ticks since.
        reminders = [b for r, _, b, _ in client.received[seen:] if r == room and REMINDER in b]
        starts = [b for r, _, b, _ in client.received[seen:] if r == room and FIRST_QUESTION in b]
        assert len(reminders) == 1 and len(starts) == 1
    finally:
        await client.stop()


async def test_no_check_in_starts_while_paused(running_stack: RunningStack) -> None:
    client, room = await consented_participant(running_stack)
    try:
        await say(client, room, "paus")
        await client.quiet_for(room, 1.0)
        seen = len(client.received)
        offset = running_stack.gateway_log.stat().st_size
        schedule_due_now(running_stack, client, None)
        await asyncio.sleep(8)  # several ticks, past the quiet time
        assert not running_stack.gateway_events("checkin_start", offset)
        assert not [b for r, _, b, _ in client.received[seen:] if r == room]
    finally:
        await client.stop()
