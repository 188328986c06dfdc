"""The programme run from a desk: enrolment that opens the chat, and commands that
answer to the authorisation matrix (the full matrix is tests/unit/test_authorisation.py)."""

from __future__ import annotations

import asyncio
import re

import pytest

from tests.conftest import RunningStack, Staff
from tests.integration.test_escalation import page_for

pytestmark = pytest.mark.integration

PARTICIPANT_CODE = re.compile(r"P-[A-Z0-9]{6}")
NOTHING_FOUND = "Nothing found that you may act on"


async def ask(staff: Staff, who: str, text: str, *needles: str) -> str:
    """Type a command in ``who``'s desk and wait for the answer holding ``needles``."""
    client = {"mediator": staff.mediator, "on_call": staff.on_call, "supervisor": staff.supervisor}[
        who
    ]
    desk = staff.desk(client)
    seen = len(client.received)
    await client.send(desk, text)
    async with asyncio.timeout(30):
        while True:
            for room, _, body, _ in client.received[seen:]:
                if room == desk and all(n in body for n in needles):
                    return body
            await asyncio.sleep(0.1)


async def test_enrolment_from_a_desk_opens_the_chat_and_asks_for_consent(
    running_stack: RunningStack, staff: Staff
) -> None:
    newcomer = await running_stack.new_client("desk-enrolled", enroll_language=None)
    try:
        matrix_id = str(newcomer.client.user_id)
        reply = await ask(staff, "mediator", f"!enroll {matrix_id} en mon,thu@18:00", "enrolled")
        code = PARTICIPANT_CODE.search(reply)
        assert code is not None
        assert code.group() == running_stack.participant_code(matrix_id)
        # The bot invited them (the test client joins invitations) and greets them once
        # they are in, with the consent question before anything else.
        async with asyncio.timeout(60):
            while not newcomer.rooms_shared_with(running_stack.bot_user_id):
                await asyncio.sleep(0.2)
        room = newcomer.rooms_shared_with(running_stack.bot_user_id)[0]
        intro = " ".join(await newcomer.replies(room, 1, timeout=60))
        intro += " ".join(await newcomer.quiet_for(room, 3))
        assert "Hi!" in intro
        assert "How have you been" not in intro
        await newcomer.send(room, "yes")
        asked = " ".join(
            await newcomer.replies(room, 1, timeout=30) + await newcomer.quiet_for(room, 2)
        )
        assert "How have you been" in asked

        # Their mediator lists and reads them; another mediator gets nothing, and the
        # refusal reads as if the code did not exist.
        listed = await ask(staff, "mediator", "!list", "participant(s)")
        assert code.group() in listed and matrix_id not in listed
        status = await ask(staff, "mediator", f"!status {code.group()}", code.group())
        assert "active" in status and "mon,thu@18:00" in status
        refused = await ask(staff, "on_call", f"!status {code.group()}", NOTHING_FOUND)
        unknown = await ask(staff, "on_call", "!status P-ZZZZZZ", NOTHING_FOUND)
        assert refused == unknown
        assert code.group() not in await ask(staff, "on_call", "!list", "participant")

        # A supervisor reads content only with a reason, and the mediator hears of it.
        needs = await ask(staff, "supervisor", f"!answers {code.group()}", "needs a reason")
        assert code.group() in needs or "reason" in needs
        # (With a reason it is allowed; nothing is finished yet, so nothing is shown.)
        await ask(staff, "supervisor", f"!answers {code.group()} 2 quality review", "no finished")

        # The programme from the desk: pause, schedule, a malformed command explained.
        assert "paused" in await ask(staff, "mediator", f"!pause {code.group()}", code.group())
        changed = await ask(staff, "mediator", f"!schedule {code.group()} tue@09:30", "now")
        assert "tue@09:30" in changed
        malformed = await ask(staff, "mediator", f"!schedule {code.group()} someday", "schedule")
        assert "mon,thu@18:00" in malformed or "like" in malformed
        take = await ask(staff, "mediator", f"!take {code.group()}", "reason")
        assert "invited" not in take
    finally:
        await newcomer.stop()


async def test_commands_that_name_participants_stay_out_of_the_team_room(
    running_stack: RunningStack, staff: Staff
) -> None:
    seen = len(staff.mediator.received)
    await staff.mediator.send(staff.room_id, "!list")
    answer = await page_for(staff.mediator, staff.room_id, "your desk", timeout=30)
    assert "participant(s)" not in answer
    assert not [
        body
        for room, _, body, _ in staff.mediator.received[seen:]
        if room == staff.room_id and PARTICIPANT_CODE.search(body)
    ]
