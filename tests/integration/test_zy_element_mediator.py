"""A mediator on Element's own SDK, in "exclude insecure devices" mode, is paged
and acknowledges with a ✅.

Element sets up cross-signing at a user's first login, so this gives the demo
mediator account a security identity. The nio device the other tests use for
that account is then no longer vouched for by its owner, so this file runs
after them (the canary runs last and needs no staff).
"""

from __future__ import annotations

import re

import pytest

from bot.launcher.stack import DEMO_MEDIATOR, STAFF_SECRETS, user_id
from tests.conftest import RunningStack, Staff
from tests.integration.test_element import explained, participant
from tests.integration.test_escalation import IMMINENT_SV, page_for
from tests.support.element import ElementUsers

pytestmark = pytest.mark.integration

CODE = re.compile(r"E-[A-Z0-9]{6}")
TRUST_CODE = re.compile(r"K-[A-Z0-9]{6}")


async def test_risk_from_element_reaches_element_mediator_whose_reaction_acknowledges(
    running_stack: RunningStack, staff: Staff, element: ElementUsers
) -> None:
    bot = running_stack.bot_user_id
    mediator_id = user_id(DEMO_MEDIATOR)
    # The demo mediator opens Element beside the nio device the staff fixture runs,
    # and Element sets up cross-signing at this first login, as it does for anyone.
    mediator = await element.open(
        mediator_id, running_stack.stack.layout.read_secret(STAFF_SECRETS[DEMO_MEDIATOR])
    )
    assert await mediator.bootstrap_cross_signing()
    # A staff account that gains a security identity, or a later device, gets nothing
    # until another staff member confirms it; the bot notices on its next staff-room
    # message. (Had the bot never seen the account before, nothing would need confirming.)
    seen_before = len(staff.supervisor.received)
    await staff.supervisor.send(staff.room_id, "!help")
    await page_for(staff.supervisor, staff.room_id, "!trust K-CODE", timeout=30)
    await staff.supervisor.quiet_for(staff.room_id, 3)
    reports = [
        body
        for got, _, body, _ in staff.supervisor.received[seen_before:]
        if got == staff.room_id and mediator_id in body and "!trust K-" in body
    ]
    if reports:
        confirm = TRUST_CODE.search(reports[-1])
        assert confirm is not None
        await staff.supervisor.send(staff.room_id, f"!trust {confirm.group()}")
        await page_for(staff.supervisor, staff.room_id, f"{confirm.group()} is trusted")
    client, room = await participant(running_stack, element, mediator=mediator_id)
    desk = staff.desk(staff.mediator)  # the same account's desk, seen from Element
    who = running_stack.participant_code(client.user_id)
    staff_mark = await mediator.mark()
    heard_mark = await client.mark()
    offset = running_stack.gateway_log.stat().st_size

    async with explained(running_stack):
        await client.send_text(room, IMMINENT_SV)
        paged = await mediator.wait_messages(
            desk, staff_mark, sender=bot, contains=f"participant {who}", timeout=30
        )
    page = paged.messages[0]
    assert "IMMINENT" in page.body
    assert client.user_id not in page.body  # the participant code, never the Matrix id
    code = CODE.search(page.body)
    assert code is not None
    heard = await client.wait_messages(room, heard_mark, sender=bot, contains="112", timeout=30)
    assert heard.messages

    await mediator.send_reaction(desk, page.event_id, "✅")
    acknowledged = await mediator.wait_messages(
        desk, paged.next_mark, sender=bot, contains=f"{code.group()} acknowledged"
    )
    assert mediator_id in acknowledged.messages[0].body
    assert running_stack.gateway_events("escalation_reaction_ack", offset)

    # A typed command from Element works too, and closes the case for the tests after.
    await mediator.send_text(desk, f"!resolve {code.group()} handled in test")
    await mediator.wait_messages(
        desk, acknowledged.next_mark, sender=bot, contains=f"{code.group()} is resolved"
    )
