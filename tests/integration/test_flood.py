"""One participant floods the bot; another's imminent message is still paged, and
nothing of the flood is lost: every message is screened and its turn closed."""

from __future__ import annotations

import asyncio

import pytest

from tests.conftest import RunningStack, Staff
from tests.integration.test_escalation import IMMINENT_SV, close, page_for, participant

pytestmark = pytest.mark.integration

FLOOD = 100
AT_ONCE = 10
ORDINARY = ("hej", "okej", "tack", "jag är hemma nu", "vi hörs", "bra", "ja", "nej")


async def test_a_flood_is_kept_and_slowed_while_another_participant_is_paged(
    running_stack: RunningStack, staff: Staff
) -> None:
    flooder, flood_room, _ = await participant(running_stack)
    other, other_room, who = await participant(running_stack)
    pages: list[str] = []
    try:
        pseudonym = running_stack.pseudonym_of(str(flooder.client.user_id))
        offset = running_stack.gateway_log.stat().st_size
        await flooder.send(flood_room, ORDINARY[0])  # shares the room key once
        for start in range(1, FLOOD, AT_ONCE):
            await asyncio.gather(
                *(
                    flooder.send(flood_room, ORDINARY[n % len(ORDINARY)])
                    for n in range(start, min(start + AT_ONCE, FLOOD))
                )
            )
        await other.send(other_room, IMMINENT_SV)
        page = await page_for(
            staff.mediator, staff.desk(staff.mediator), f"participant {who}", timeout=60
        )
        assert "IMMINENT" in page
        pages.append(page)
        heard = " ".join(await other.replies(other_room, 1, timeout=60))
        assert "112" in heard

        async with asyncio.timeout(180):
            while True:
                closed = [
                    e
                    for e in running_stack.gateway_events("turn_answered", offset)
                    if e.get("participant") == pseudonym
                ]
                if len(closed) >= FLOOD:
                    break
                await asyncio.sleep(1)
        vault = running_stack.open_vault()
        try:
            turns = sum(1 for _ in vault.items("turn", pseudonym))
        finally:
            vault.close()
        assert len(flooder.sent_ids) == FLOOD
        assert turns == FLOOD  # every message kept as a turn
        assert len(closed) == FLOOD  # each turn closed once, none twice
        screened = [
            e
            for e in running_stack.gateway_events("message_screened", offset)
            if e.get("participant") == pseudonym
        ]
        assert len(screened) == FLOOD
        overflow = [
            e
            for e in running_stack.gateway_events("turn_overflow", offset)
            if e.get("participant") == pseudonym
        ]
        assert overflow, "a flood of 100 went to the dialogue turn by turn"
        assert [e["asked"] for e in overflow].count(True) >= 1
        # Asked once, in their language, to slow down.
        await page_for(flooder, flood_room, "snabbare än jag hinner svara", timeout=60)
        # The newest messages, with nothing queued behind them, reached the dialogue
        # again: it answered after the request to slow down.
        async with asyncio.timeout(60):
            while True:
                said = [body for got, _, body, _ in flooder.received if got == flood_room]
                asked_at = next(i for i, body in enumerate(said) if "snabbare" in body)
                if said[asked_at + 1 :]:
                    break
                await asyncio.sleep(0.5)
        assert len(overflow) < FLOOD - 1
    finally:
        for page in pages:
            await close(staff, page)  # no re-escalation for the tests after this one
        await flooder.stop()
        await other.stop()
