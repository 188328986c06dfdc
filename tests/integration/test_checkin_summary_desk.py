"""A finished check-in reaches the participant's own mediator, and nobody else."""

from __future__ import annotations

import asyncio

import pytest
from nio import RedactedEvent, RoomGetEventResponse

from bot.launcher.stack import DEMO_MEDIATOR, user_id
from safety.audit import AuditLog
from tests.conftest import RunningStack, Staff
from tests.integration.test_conversation import REST_OF_CHECKIN, say
from tests.integration.test_escalation import notices_about, page_for
from tests.support.cli import run_samtal

pytestmark = pytest.mark.integration

DISTINCT_ANSWER = "jobbet och vårdnaden"


async def test_the_mediator_reads_the_summary_and_another_mediator_sees_nothing(
    running_stack: RunningStack, staff: Staff
) -> None:
    client = await running_stack.new_client(
        "summary", enroll_language="sv", mediator=user_id(DEMO_MEDIATOR)
    )
    try:
        room = await client.open_chat(running_stack.bot_user_id)
        who = running_stack.participant_code(str(client.client.user_id))
        offset = running_stack.gateway_log.stat().st_size
        await say(client, room, "hej")
        await say(client, room, "ja")  # consent; the check-in starts
        await say(client, room, "4")
        await say(client, room, "ok")
        rest = list(REST_OF_CHECKIN["sv"])
        rest[3] = DISTINCT_ANSWER  # the stress question, answered in the participant's words
        for answer in rest:
            await say(client, room, answer)
        summary = await page_for(
            staff.mediator, staff.desk(staff.mediator), who, "check-in", timeout=30
        )
        assert DISTINCT_ANSWER in summary
        assert "▆" in summary or "4" in summary  # the mood, as answered
        assert str(client.client.user_id) not in summary
        for other in (staff.on_call, staff.supervisor):
            assert not notices_about(other, staff.desk(other), who)
            assert not notices_about(other, staff.room_id, who)
        # A supervisor reads the answers with a reason; the mediator hears of it.
        await staff.supervisor.send(
            staff.desk(staff.supervisor), f"!answers {who} 1 quality review"
        )
        read = await page_for(staff.supervisor, staff.desk(staff.supervisor), who, DISTINCT_ANSWER)
        assert "check-in" in read
        told = await page_for(
            staff.mediator, staff.desk(staff.mediator), "read their check-in answers", who
        )
        assert DISTINCT_ANSWER not in told and "quality review" not in told
        # The audit trail records each time content was shown to staff.
        pseudonym = running_stack.pseudonym_of(str(client.client.user_id))
        shown = running_stack.gateway_events("checkin_summary_posted", offset)
        assert [e["participant"] for e in shown] == [pseudonym]
        vault = running_stack.open_vault()
        try:
            entries = AuditLog(vault).entries(pseudonym)
        finally:
            vault.close()
        assert [e.action for e in entries].count("content_access") == 2
        assert all(e.actor.startswith("staff:") for e in entries if e.action == "content_access")

        # Forgotten: the summary and the answers shown leave the desks with the data.
        desk = staff.desk(staff.mediator)
        summary_event = staff.mediator.event_id_of(desk, DISTINCT_ANSWER)
        read_event = staff.supervisor.event_id_of(staff.desk(staff.supervisor), DISTINCT_ANSWER)
        forgotten = await asyncio.to_thread(
            run_samtal, running_stack.stack.layout.home, "forget", who
        )
        assert forgotten.returncode == 0, forgotten.stdout + forgotten.stderr
        for reader, room, event in (
            (staff.mediator, desk, summary_event),
            (staff.supervisor, staff.desk(staff.supervisor), read_event),
        ):
            fetched = await reader.client.room_get_event(room, event)
            assert isinstance(fetched, RoomGetEventResponse)
            assert isinstance(fetched.event, RedactedEvent)
    finally:
        await client.stop()
