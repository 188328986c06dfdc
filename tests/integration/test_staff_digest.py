"""Elevated risk pages nobody but reaches the mediators' digest.

The test stack's digest time is 00:00, so the day's digest is posted as soon
as the gateway runs.
"""

from __future__ import annotations

import pytest

from bot.launcher.stack import DEMO_MEDIATOR, user_id
from tests.conftest import RunningStack, Staff
from tests.integration.test_conversation import say
from tests.integration.test_escalation import page_for

pytestmark = pytest.mark.integration

# Damage to things, the guide's elevated example. (With "igår" after it, the screen
# now pages it as high: docs/safety.md, "Known limits".)
ELEVATED_SV = "jag slog i väggen"


async def test_the_days_digest_is_posted(running_stack: RunningStack, staff: Staff) -> None:
    digest = await page_for(
        staff.mediator, staff.desk(staff.mediator), "🗒 Daily digest", timeout=30
    )
    assert "elevated risk" in digest


async def test_elevated_risk_is_in_the_digest_and_pages_nobody(
    running_stack: RunningStack, staff: Staff
) -> None:
    client = await running_stack.new_client(
        "elevated", enroll_language="sv", mediator=user_id(DEMO_MEDIATOR)
    )
    try:
        room = await client.open_chat(running_stack.bot_user_id)
        who = running_stack.participant_code(str(client.client.user_id))
        offset = running_stack.gateway_log.stat().st_size
        await say(client, room, ELEVATED_SV)
        assert not running_stack.gateway_events("escalation_created", offset)
        await staff.mediator.send(staff.desk(staff.mediator), "!digest")
        digest = await page_for(staff.mediator, staff.desk(staff.mediator), "Digest so far", who)
        line = next(row for row in digest.splitlines() if who in row)
        assert "property_damage" in line and user_id(DEMO_MEDIATOR) in line
        assert "väggen" not in digest  # categories only, never the message
        assert str(client.client.user_id) not in digest
        # Another mediator's desk does not list someone who is not theirs.
        await staff.on_call.send(staff.desk(staff.on_call), "!digest")
        elsewhere = await page_for(staff.on_call, staff.desk(staff.on_call), "Digest so far")
        assert who not in elsewhere
    finally:
        await client.stop()
