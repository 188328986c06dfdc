"""Participants talk to the bot over real E2EE, through real Synapse and Rasa."""

from __future__ import annotations

import time
from zoneinfo import ZoneInfo

import pytest

from bot.config import load_config
from bot.state.flow_counts import FlowCounts
from bot.transports.matrix.chat_client import ChatClient
from safety.consent_terms import consent_document
from tests.conftest import PROJECT, RunningStack

pytestmark = pytest.mark.integration

QUESTIONS = {
    "sv": ("Hur har du mått", "kontakt", "hjälpt"),
    "en": ("How have you been", "contact", "helped"),
}


# Answers to the questions after the first three: agreements, conflict, substances,
# stress, thoughts of harm, support, wanting the mediator.
REST_OF_CHECKIN = {
    "sv": ("ja", "nej", "nej", "jobbet", "nej", "min bror", "nej"),
    "en": ("yes", "no", "no", "work", "no", "my brother", "no"),
}


async def say(client: ChatClient, room: str, text: str, quiet: float = 2.0) -> str:
    """Send ``text``; return everything the bot answered, joined."""
    await client.send(room, text)
    first = await client.replies(room, 1, timeout=30)
    return "\n".join(first + await client.quiet_for(room, quiet))


@pytest.mark.parametrize(
    ("language", "greeting", "expected_greeting", "yes"),
    [("sv", "hej", "Hej!", "ja"), ("en", "hello", "Hi!", "yes")],
)
async def test_consent_then_checkin_in_each_language(
    running_stack: RunningStack, language: str, greeting: str, expected_greeting: str, yes: str
) -> None:
    client = await running_stack.new_client(language, enroll_language=language)
    try:
        room = await client.open_chat(running_stack.bot_user_id)
        first = await say(client, room, greeting)
        assert expected_greeting in first
        # The consent exchange comes first, and no check-in question with it.
        assert QUESTIONS[language][0] not in first
        # The participant reads the text as this deployment makes it true.
        home = running_stack.stack.layout.home
        config = load_config(home / "samtal.yaml", home)
        shown = consent_document(
            PROJECT / "dialogues" / "consent" / config.dialogue.consent_version,
            language,
            config.consent_terms,
        )
        body = [line for line in shown.splitlines() if line and not line.startswith("#")]
        assert all(line in first for line in body)
        after_yes = await say(client, room, yes)
        assert QUESTIONS[language][0] in after_yes
        assert QUESTIONS[language][1] in (await say(client, room, "3")).lower()
        assert QUESTIONS[language][2] in (await say(client, room, "ok")).lower()
        offset = running_stack.gateway_log.stat().st_size
        for answer in REST_OF_CHECKIN[language]:
            await say(client, room, answer)
        # The finished check-in closes its Rasa session; the next one starts fresh.
        assert running_stack.gateway_events("rasa_session_started", offset)
        # The supervisor's console can tell that these flows ran.
        vault = running_stack.open_vault()
        try:
            ran = FlowCounts(vault, ZoneInfo("Europe/Stockholm")).totals(1, time.time())
        finally:
            vault.close()
        assert ran.get("consent_given", 0) >= 1 and ran.get("checkin_completed", 0) >= 1
    finally:
        await client.stop()


async def test_english_greeting_from_swedish_participant_gets_english(
    running_stack: RunningStack,
) -> None:
    client = await running_stack.new_client("mixed", enroll_language="sv")
    try:
        room = await client.open_chat(running_stack.bot_user_id)
        reply = await say(client, room, "hello")
        assert "Hi!" in reply
        assert "Hej!" not in reply
        assert "Hej!" in await say(client, room, "hej")
    finally:
        await client.stop()


async def test_stop_pauses_contact(running_stack: RunningStack) -> None:
    client = await running_stack.new_client("stop", enroll_language="sv")
    try:
        room = await client.open_chat(running_stack.bot_user_id)
        await say(client, room, "hej")
        reply = await say(client, room, "sluta")
        assert "paus" in reply.lower()
    finally:
        await client.stop()
