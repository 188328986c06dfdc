"""Every kind of message a phone sends, over real E2EE through the running gateway."""

from __future__ import annotations

import asyncio
import time

import pytest

from bot.launcher.stack import DEMO_MEDIATOR, user_id
from bot.state.digest import DigestStore
from bot.state.participants import ParticipantRegistry
from tests.conftest import RunningStack, Staff
from tests.integration.test_escalation import page_for

pytestmark = pytest.mark.integration

GEO = "geo:59.32931,18.06858"
FILE_NAME = "barnen-skola-adress.jpg"
TEXT_ONLY = "bara läsa text"
RISKY = "jag ska döda henne ikväll"


async def wait_for_events(
    stack: RunningStack, kind: str, count: int, offset: int, timeout: float = 30
) -> list[dict[str, object]]:
    async with asyncio.timeout(timeout):
        while len(found := stack.gateway_events(kind, offset)) < count:
            await asyncio.sleep(0.2)
    return found


def media(msgtype: str, body: str) -> dict[str, object]:
    return {"msgtype": msgtype, "body": body, "url": "mxc://localhost/notfetched"}


async def test_emote_is_answered_and_a_burst_of_media_gets_one_text_only_answer(
    running_stack: RunningStack,
) -> None:
    client = await running_stack.new_client("kinds", enroll_language="sv")
    try:
        room = await client.open_chat(running_stack.bot_user_id)
        await client.send_event(room, "m.room.message", {"msgtype": "m.emote", "body": "hej"})
        first = await client.replies(room, 1, timeout=30)
        assert "Hej!" in "\n".join(first + await client.quiet_for(room, 2))

        offset = running_stack.gateway_log.stat().st_size
        burst: list[tuple[str, dict[str, object]]] = [
            ("m.room.message", media("m.image", FILE_NAME)),
            ("m.room.message", media("m.file", FILE_NAME)),
            ("m.room.message", media("m.audio", "röstmeddelande")),
            ("m.room.message", media("m.video", "video.mp4")),
            # Element sends stickers in an encrypted room with "file", not "url".
            ("m.sticker", {"body": "arg", "file": {"url": "mxc://localhost/s"}, "info": {}}),
            ("m.room.message", {"msgtype": "m.location", "body": GEO, "geo_uri": GEO}),
            ("m.poll.start", {"m.poll": {"question": {"m.text": "fråga"}}}),
            ("org.matrix.msc3381.poll.start", {"org.matrix.msc3381.poll.start": {}}),
        ]
        image_id = ""
        for event_type, content in burst:
            sent = await client.send_event(room, event_type, content)
            image_id = image_id or sent
        noted = await wait_for_events(running_stack, "message_not_read", len(burst), offset)
        assert sorted(str(e["message_kind"]) for e in noted) == sorted(
            ["media"] * 5 + ["location"] + ["poll"] * 2
        )
        assert [e["explained"] for e in noted].count(True) == 1
        heard = await client.quiet_for(room, 4)
        assert len(heard) == 1 and TEXT_ONLY in heard[0]

        # The location reaches the mediators' digest as a signal, never as a place.
        vault = running_stack.open_vault()
        try:
            pseudonym = ParticipantRegistry(vault).pseudonym_of(str(client.client.user_id))
            notes = DigestStore(vault).pending(time.time()).get(pseudonym, ())
        finally:
            vault.close()
        assert any("location_shared" in n.signals for n in notes)
        log = running_stack.gateway_log.read_text()
        assert "59.32931" not in log and FILE_NAME not in log

        # A reaction to the bot and a redaction are noted, not answered.
        offset = running_stack.gateway_log.stat().st_size
        await client.react(room, client.event_id_of(room, TEXT_ONLY), "👍")
        await client.redact(room, image_id)
        await wait_for_events(running_stack, "reaction_ignored", 1, offset)
        await wait_for_events(running_stack, "redaction_noted", 1, offset)
        assert await client.quiet_for(room, 3) == []

        # Replies, with a plain-text fallback quote and without, are read and answered.
        offset = running_stack.gateway_log.stat().st_size
        bot_said = client.event_id_of(room, TEXT_ONLY)
        in_reply = {"m.in_reply_to": {"event_id": bot_said}}
        quote = f"> <{running_stack.bot_user_id}> Jag kan bara läsa text.\n\n"
        for body in (quote + "okej", "okej då"):
            await client.send_event(
                room,
                "m.room.message",
                {"msgtype": "m.text", "body": body, "m.relates_to": in_reply},
            )
            await client.replies(room, 1, timeout=30)
        await wait_for_events(running_stack, "turn_answered", 2, offset)
        screened = running_stack.gateway_events("message_screened", offset)
        assert len(screened) == 2

        # An edit is screened as its new text, and not answered as a new turn.
        offset = running_stack.gateway_log.stat().st_size
        plain = await client.send(room, "det går bra")
        await client.replies(room, 1, timeout=30)
        await client.quiet_for(room, 2)
        await client.send_event(
            room,
            "m.room.message",
            {
                "msgtype": "m.text",
                "body": "* det går bättre",
                "m.new_content": {"msgtype": "m.text", "body": "det går bättre"},
                "m.relates_to": {"rel_type": "m.replace", "event_id": plain},
            },
        )
        await wait_for_events(running_stack, "edit_screened", 1, offset)
        assert await client.quiet_for(room, 3) == []
    finally:
        await client.stop()


async def test_a_retracted_threat_still_pages(running_stack: RunningStack, staff: Staff) -> None:
    client = await running_stack.new_client(
        "retract", enroll_language="sv", mediator=user_id(DEMO_MEDIATOR)
    )
    try:
        room = await client.open_chat(running_stack.bot_user_id)
        who = running_stack.participant_code(str(client.client.user_id))
        offset = running_stack.gateway_log.stat().st_size
        risky = await client.send(room, RISKY)
        # Retracted as soon as it is read, before the page or any answer goes out.
        await wait_for_events(running_stack, "message_screened", 1, offset)
        await client.redact(room, risky)
        await page_for(staff.mediator, staff.desk(staff.mediator), f"participant {who}", timeout=30)
        heard = await client.replies(room, 1, timeout=30) + await client.quiet_for(room, 3)
        assert heard and not any(RISKY in reply for reply in heard)
    finally:
        await client.stop()
