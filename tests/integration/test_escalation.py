"""Risk reaches a human: pages, acknowledgements, re-escalation, restarts, Rasa down.

Test deadlines are 6 s (bot.launcher.stack.TEST_ACK_SECONDS).
"""

from __future__ import annotations

import asyncio
import re
import time

import pytest
from nio import RedactedEvent, RoomGetEventResponse

from bot.config import load_config
from bot.escalation.inert import inert_quote
from bot.escalation.store import EscalationStore, new_code
from bot.launcher.stack import DEMO_MEDIATOR, user_id
from bot.state.participants import ParticipantRegistry
from bot.transports.matrix.chat_client import ChatClient
from safety.escalation.record import open_escalation
from safety.vault import Vault, load_or_create_key_file
from tests.conftest import RecordingChatClient, RunningStack, Staff
from tests.support.cli import run_samtal

pytestmark = pytest.mark.integration

IMMINENT_SV = "jag är på väg hem till henne med kniven nu"
HIGH_EN = "I know where she lives now and I called her 40 times"
CODE = re.compile(r"E-[A-Z0-9]{6}")


async def participant(stack: RunningStack) -> tuple[RecordingChatClient, str, str]:
    """A new participant with a chat, and the code mediators know them by."""
    client = await stack.new_client("risk", enroll_language="sv", mediator=user_id(DEMO_MEDIATOR))
    room = await client.open_chat(stack.bot_user_id)
    return client, room, stack.participant_code(str(client.client.user_id))


async def page_for(client: ChatClient, room_id: str, *needles: str, timeout: float = 20) -> str:
    """Wait for a staff-room notice containing every needle; return its body."""
    async with asyncio.timeout(timeout):
        while True:
            for got_room, _, body, _ in reversed(client.received):
                if got_room == room_id and all(n in body for n in needles):
                    return body
            await asyncio.sleep(0.1)


async def close(staff: Staff, page: str) -> None:
    """Resolve the escalation a page is about, so it stops re-escalating."""
    code = CODE.search(page)
    assert code is not None
    await staff.supervisor.send(
        staff.desk(staff.supervisor), f"!resolve {code.group()} handled in test"
    )
    await page_for(staff.supervisor, staff.desk(staff.supervisor), f"{code.group()} is resolved")


def notices_about(client: ChatClient, room_id: str, code: str) -> list[str]:
    return [body for got, _, body, _ in client.received if got == room_id and code in body]


async def test_imminent_pages_mediator_and_on_call_and_reaction_stops_it(
    running_stack: RunningStack, staff: Staff
) -> None:
    client, room, who = await participant(running_stack)
    try:
        await client.send(room, IMMINENT_SV)
        page = await page_for(staff.mediator, staff.desk(staff.mediator), f"participant {who}")
        assert "IMMINENT" in page
        code = CODE.search(page)
        assert code is not None
        assert user_id(DEMO_MEDIATOR) in page and "@jour:localhost" in page
        assert client.client.user_id not in page  # the participant code, never the Matrix id
        # Imminent pages on-call at once, in their own desk; the supervisor, not paged,
        # sees in the team room that a page is open, but not whom it is about.
        await page_for(staff.on_call, staff.desk(staff.on_call), code.group(), "IMMINENT")
        team = await page_for(staff.supervisor, staff.room_id, code.group(), "page")
        assert who not in team and IMMINENT_SV not in team
        # (Only a re-escalation, after the 6 s deadline on a slow machine, may reach it.)
        first_pages = [
            body
            for body in notices_about(staff.supervisor, staff.desk(staff.supervisor), code.group())
            if "⏱" not in body
        ]
        assert first_pages == []
        # The participant is told about 112 and that a person will be in touch.
        heard = " ".join(await client.replies(room, 1, timeout=30))
        assert "112" in heard
        await staff.mediator.react(
            staff.desk(staff.mediator),
            staff.mediator.event_id_of(staff.desk(staff.mediator), code.group()),
            "✅",
        )
        await page_for(staff.mediator, staff.desk(staff.mediator), f"{code.group()} acknowledged")
        await asyncio.sleep(8)  # past the next 6 s deadline
        # The gateway's own order of events decides: a re-escalation that fell due
        # before the reaction arrived (a slow machine) is right; one after it is not.
        steps = [
            e["event"]
            for e in running_stack.gateway_events_of(
                {"escalation_acknowledged", "escalation_reescalated"}
            )
            if e.get("code") == code.group()
        ]
        assert "escalation_acknowledged" in steps
        after_ack = steps[steps.index("escalation_acknowledged") + 1 :]
        assert "escalation_reescalated" not in after_ack, steps
    finally:
        await client.stop()


async def test_unacknowledged_high_goes_up_the_chain(
    running_stack: RunningStack, staff: Staff
) -> None:
    client, room, who = await participant(running_stack)
    try:
        await client.send(room, HIGH_EN)
        page = await page_for(staff.mediator, staff.desk(staff.mediator), f"participant {who}")
        assert "HIGH RISK" in page
        code = CODE.search(page)
        assert code is not None
        first = await page_for(
            staff.on_call, staff.desk(staff.on_call), f"⏱ {code.group()}", timeout=20
        )
        assert "Paged: @jour:localhost" in first
        await page_for(
            staff.supervisor, staff.desk(staff.supervisor), code.group(), "Paged: @handledare"
        )
        await staff.supervisor.send(
            staff.desk(staff.supervisor), f"!resolve {code.group()} called them"
        )
        await page_for(
            staff.supervisor, staff.desk(staff.supervisor), f"{code.group()} is resolved"
        )
        home = running_stack.stack.layout.home
        config = load_config(home / "samtal.yaml", home)
        vault = Vault(config.vault_path, load_or_create_key_file(config.kek_file, create=False))
        try:
            pseudonym = ParticipantRegistry(vault).pseudonym_of(str(client.client.user_id))
            notes = EscalationStore(vault).notes(pseudonym)
        finally:
            vault.close()
        assert [(n["code"], n["note"]) for n in notes] == [(code.group(), "called them")]
    finally:
        await client.stop()


async def test_deadline_fires_once_across_a_gateway_restart(
    running_stack: RunningStack, staff: Staff
) -> None:
    client, room, who = await participant(running_stack)
    try:
        await client.send(room, HIGH_EN)
        page = await page_for(staff.mediator, staff.desk(staff.mediator), f"participant {who}")
        code = CODE.search(page)
        assert code is not None
        # Ended at once, as a crash ends it: a graceful stop can take seconds, and a
        # deadline that falls due while the gateway is still stopping fires before the
        # restart and the next level after it, which is right but not this test.
        await running_stack.stack.kill_gateway()
        await asyncio.sleep(7)  # the deadline passes while the gateway is down
        await running_stack.stack.start_gateway()
        await page_for(staff.on_call, staff.desk(staff.on_call), f"⏱ {code.group()}", timeout=20)
        await asyncio.sleep(3)
        reescalations = sum(
            body.count(f"⏱ {code.group()}")
            for body in notices_about(staff.on_call, staff.desk(staff.on_call), code.group())
        )
        assert reescalations == 1
        await staff.mediator.send(staff.desk(staff.mediator), f"!ack {code.group()}")
        await page_for(
            staff.mediator, staff.desk(staff.mediator), f"{code.group()} is acknowledged"
        )
    finally:
        await client.stop()


async def test_injection_arrives_inert(running_stack: RunningStack, staff: Staff) -> None:
    client, room, who = await participant(running_stack)
    hostile = (
        "@room <b>bold</b> [click](https://evil.example/x) \x07\u202e "
        "@mediator:localhost jag ska döda henne ikväll med kniven " + "x" * 40_000
        # Matrix caps an event at 64 KiB, encrypted; this is about the largest that fits.
    )
    try:
        await client.send(room, hostile)
        page = await page_for(staff.mediator, staff.desk(staff.mediator), f"participant {who}")
        assert "IMMINENT" in page
        _, _, _, content = next(
            entry for entry in reversed(staff.mediator.received) if who in entry[2]
        )
        assert "formatted_body" not in content
        assert "@room" not in page
        assert "https://" not in page and "evil.example" not in page
        assert "\x07" not in page and "\u202e" not in page
        assert len(page) < 2_000
        mentioned = content["m.mentions"]["user_ids"]  # type: ignore[index]
        assert set(mentioned) <= {
            user_id(DEMO_MEDIATOR),
            "@jour:localhost",
            "@handledare:localhost",
        }
        await close(staff, page)
    finally:
        await client.stop()


async def test_rasa_down_still_pages(running_stack: RunningStack, staff: Staff) -> None:
    client, room, who = await participant(running_stack)
    try:
        await running_stack.stack.stop_rasa_server()
        await client.send(room, IMMINENT_SV)
        page = await page_for(staff.mediator, staff.desk(staff.mediator), f"participant {who}")
        assert "IMMINENT" in page
        heard = " ".join(await client.replies(room, 1, timeout=30))
        assert "112" in heard
        await close(staff, page)
    finally:
        await running_stack.stack.restart_rasa_server()
        await client.stop()


async def test_pages_too_large_for_one_message_all_arrive(
    running_stack: RunningStack, staff: Staff
) -> None:
    """Twelve pages waiting at once, each quoting 400 emoji: together far past the
    size an encrypted event may have. Every one of them reaches staff."""
    client, _, who = await participant(running_stack)
    await client.stop()
    await running_stack.stack.stop_gateway()
    vault = running_stack.open_vault()
    try:
        pseudonym = ParticipantRegistry(vault).pseudonym_of(str(client.client.user_id))
        store = EscalationStore(vault)
        config = load_config(
            running_stack.stack.layout.home / "samtal.yaml", running_stack.stack.layout.home
        )
        waiting = [
            open_escalation(
                code=new_code(),
                participant=pseudonym,
                participant_code=who,
                level="imminent",
                signals=("threat_to_kill",),
                quote=inert_quote("😱" * 400),
                now=time.time(),
                policy=config.escalation.policy,
            )
            for _ in range(12)
        ]
        for esc in waiting:
            store.save(esc)
    finally:
        vault.close()
    await running_stack.stack.start_gateway()
    for esc in waiting:
        await page_for(staff.mediator, staff.desk(staff.mediator), esc.code, "IMMINENT", timeout=30)
    for esc in waiting:
        await staff.supervisor.send(staff.desk(staff.supervisor), f"!resolve {esc.code} test pages")
    for esc in waiting:
        await page_for(staff.supervisor, staff.desk(staff.supervisor), f"{esc.code} is resolved")


async def test_a_flood_from_one_participant_opens_one_escalation(
    running_stack: RunningStack, staff: Staff
) -> None:
    client, room, who = await participant(running_stack)
    offset = running_stack.gateway_log.stat().st_size
    try:
        for n in range(4):
            await client.send(room, f"{IMMINENT_SV} {n}")
        page = await page_for(staff.mediator, staff.desk(staff.mediator), f"participant {who}")
        code = CODE.search(page)
        assert code is not None
        # The people paged hear that more came, in the same case. (Watched in the
        # gateway's log: a test client may miss a notice sent under a room key it
        # has not received yet, which says nothing about the bot.)
        async with asyncio.timeout(30):
            while not [
                e
                for e in running_stack.gateway_events("escalation_notice_sent", offset)
                if e["code"] == code.group() and e["notice"] == "further"
            ]:
                await asyncio.sleep(0.2)
        async with asyncio.timeout(30):
            while len(running_stack.gateway_events("escalation_coalesced", offset)) < 3:
                await asyncio.sleep(0.2)
        pseudonym = running_stack.gateway_events("escalation_coalesced", offset)[0]["participant"]
        created = [
            e
            for e in running_stack.gateway_events("escalation_created", offset)
            if e["participant"] == pseudonym
        ]
        assert len(created) == 1
        await close(staff, page)
    finally:
        await client.stop()


async def test_a_page_held_up_by_a_homeserver_outage_is_reported_then_sent(
    running_stack: RunningStack, staff: Staff
) -> None:
    client, room, who = await participant(running_stack)
    try:
        await client.send(room, HIGH_EN)
        page = await page_for(staff.mediator, staff.desk(staff.mediator), f"participant {who}")
        code = CODE.search(page)
        assert code is not None
        offset = running_stack.gateway_log.stat().st_size
        synapse = running_stack.stack.synapse
        assert synapse is not None
        await synapse.stop()
        try:
            # The 6 s deadline passes while the homeserver is away. The re-escalation
            # cannot go out, and the gateway says so rather than wait in silence.
            async with asyncio.timeout(60):
                while not running_stack.gateway_events("escalation_send_failed", offset):
                    await asyncio.sleep(0.5)
        finally:
            await synapse.start(timeout=60)
        await page_for(staff.on_call, staff.desk(staff.on_call), f"⏱ {code.group()}", timeout=90)
        await close(staff, page)
    finally:
        await client.stop()


async def test_forgetting_a_participant_closes_their_case_and_removes_their_pages(
    running_stack: RunningStack, staff: Staff
) -> None:
    client, room, who = await participant(running_stack)
    try:
        await client.send(room, IMMINENT_SV)
        page = await page_for(staff.mediator, staff.desk(staff.mediator), f"participant {who}")
        code = CODE.search(page)
        assert code is not None
        page_event = staff.mediator.event_id_of(staff.desk(staff.mediator), f"participant {who}")
        offset = running_stack.gateway_log.stat().st_size
        forgetting = asyncio.create_task(
            asyncio.to_thread(run_samtal, running_stack.stack.layout.home, "forget", who)
        )
        # An unacknowledged page must not vanish with the data: the deletion waits.
        async with asyncio.timeout(30):
            while not running_stack.gateway_events("deletion_waits", offset):
                await asyncio.sleep(0.2)
        assert running_stack.gateway_events("deletion_waits", offset)[0]["reason"] == "open_page"
        await staff.mediator.send(staff.desk(staff.mediator), f"!ack {code.group()}")
        await page_for(
            staff.mediator, staff.desk(staff.mediator), f"{code.group()} is acknowledged"
        )
        forgotten = await forgetting
        assert forgotten.returncode == 0, forgotten.stdout + forgotten.stderr
        closing = [
            e
            for e in running_stack.gateway_events("escalation_notice_sent", offset)
            if e["code"] == code.group() and e["notice"] == "deleted"
        ]
        assert closing, "staff were not told that the case closed"
        fetched = await staff.mediator.client.room_get_event(staff.desk(staff.mediator), page_event)
        assert isinstance(fetched, RoomGetEventResponse)
        assert isinstance(fetched.event, RedactedEvent)  # the quote left with the data
    finally:
        await client.stop()
