"""Participants on Telegram, through the real gateway, Rasa and vault.

Telegram's cloud cannot run here, so a local Bot API server speaking its JSON
(tests/support/fake_telegram.py) stands in for it: the one fake in these tests.
For this module the shared gateway runs with Telegram turned on, as a deployment
that opts in would configure it; afterwards it runs again as `make run` starts it.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio
import yaml

from bot.config import load_config
from bot.core.texts import text
from bot.launcher.stack import DEMO_MEDIATOR, user_id
from bot.participants.enrolment import invite_on_telegram
from bot.state.participants import ParticipantRegistry
from safety.consent_terms import consent_document
from tests.conftest import PROJECT, RunningStack, Staff
from tests.integration.test_escalation import page_for
from tests.support.fake_telegram import FakeTelegram
from tests.support.leaks import leak_forms

pytestmark = pytest.mark.integration

TOKEN = "7000000001:AAE" + "x" * 32
QUESTIONS = ("How have you been", "contact", "helped")
REST_OF_CHECKIN = ("yes", "no", "no", "work", "no", "my brother", "no")
IMMINENT_EN = "I have the knife in the car and I'm driving to her place now"
CANARY = "telegram-kanarie-5d02aa"


def new_user_id() -> int:
    """Ten digits: long enough that no timestamp or counter on disk holds it by chance."""
    return 6_000_000_000 + secrets.randbelow(1_000_000_000)


@dataclass
class TelegramStack:
    fake: FakeTelegram
    stack: RunningStack
    home: Path

    async def enrolled(self, username: str, mediator: str | None = None) -> TelegramPerson:
        """A participant enrolled by link, who pressed Start with it."""
        user = TelegramPerson(self, new_user_id(), username)
        invitation = await invite_on_telegram(self.home, f"telegram:{username}", "en", mediator)
        assert invitation.link == f"https://t.me/{self.fake.bot_username}?start={invitation.code}"
        user.intro = await user.say(f"/start {invitation.code}", quiet=3.0)
        return user

    def code_of(self, person: TelegramPerson) -> str:
        return self.stack.participant_code(f"telegram:{person.user_id}")


@dataclass
class TelegramPerson:
    telegram: TelegramStack
    user_id: int
    username: str
    intro: str = ""

    @property
    def fake(self) -> FakeTelegram:
        return self.telegram.fake

    def bot_messages(self) -> list[str]:
        return [m.text for m in self.fake.sent(self.user_id)]

    async def say(self, text: str, quiet: float = 2.0, timeout: float = 30) -> str:
        """Write to the bot; return everything it answered, joined."""
        before = len(self.bot_messages())
        self.fake.user_says(self.user_id, text, self.username)
        return await self.answers_after(before, quiet, timeout)

    async def answers_after(self, before: int, quiet: float = 2.0, timeout: float = 30) -> str:
        async with asyncio.timeout(timeout):
            while len(self.bot_messages()) <= before:
                await asyncio.sleep(0.1)
        while True:  # until the bot has been quiet for `quiet` seconds
            count = len(self.bot_messages())
            await asyncio.sleep(quiet)
            if len(self.bot_messages()) == count:
                return "\n".join(self.bot_messages()[before:])


@pytest_asyncio.fixture(scope="module")
async def telegram(running_stack: RunningStack, staff: Staff) -> AsyncIterator[TelegramStack]:
    fake = FakeTelegram(TOKEN)
    await fake.start()
    stack = running_stack.stack
    home = stack.layout.home
    config_file = home / "samtal.yaml"
    as_make_run_writes_it = config_file.read_text()
    token_file = home / "gateway" / "telegram-token"
    token_file.write_text(TOKEN)
    token_file.chmod(0o600)
    await stack.stop_gateway()
    section = {"telegram": {"api_url": fake.url, "poll_timeout_seconds": 10}}
    config_file.write_text(as_make_run_writes_it + yaml.safe_dump(section))
    await stack.start_gateway()
    try:
        yield TelegramStack(fake, running_stack, home)
    finally:
        await stack.stop_gateway()
        config_file.write_text(as_make_run_writes_it)
        token_file.unlink()
        await stack.start_gateway()
        await fake.close()


async def test_enrolled_by_link_told_about_telegram_consents_checks_in_and_is_paged(
    telegram: TelegramStack, staff: Staff
) -> None:
    # A stranger who finds the bot gets one neutral answer, then nothing.
    stranger = TelegramPerson(telegram, new_user_id(), "curious_one")
    assert await stranger.say("/start") == text("link_unknown", "sv")
    telegram.fake.user_says(stranger.user_id, "/start " + secrets.token_urlsafe(24))
    telegram.fake.user_says(stranger.user_id, "hello?")
    await asyncio.sleep(3)
    assert len(stranger.bot_messages()) == 1

    person = await telegram.enrolled("tg_alex", mediator=user_id(DEMO_MEDIATOR))
    # The consent text, as this deployment makes it true, ends with what Telegram means.
    home = telegram.home
    config = load_config(home / "samtal.yaml", home)
    shown = consent_document(
        PROJECT / "dialogues" / "consent" / config.dialogue.consent_version,
        "en",
        config.consent_terms.on("telegram"),
    )
    body = [line for line in shown.splitlines() if line and not line.startswith("#")]
    missing = [line for line in body if line not in person.intro]
    assert missing == [], person.intro
    assert "not end-to-end encrypted" in person.intro and "Matrix" in person.intro
    assert QUESTIONS[0] not in person.intro  # no check-in question before consent

    assert QUESTIONS[0] in await person.say("yes")
    assert QUESTIONS[1] in (await person.say("3")).lower()
    assert QUESTIONS[2] in (await person.say("ok")).lower()
    offset = telegram.stack.gateway_log.stat().st_size
    for answer in REST_OF_CHECKIN:
        await person.say(answer)
    assert telegram.stack.gateway_events("rasa_session_started", offset)

    # Risk on Telegram is paged to the mediator's desk on Matrix, with the code only.
    code = telegram.code_of(person)
    await person.say(IMMINENT_EN)
    page = await page_for(staff.mediator, staff.desk(staff.mediator), f"participant {code}")
    assert "IMMINENT" in page
    assert f"telegram:{person.user_id}" not in page and person.username not in page
    escalation = re.search(r"E-[A-Z0-9]{6}", page)
    assert escalation is not None
    await staff.mediator.send(staff.desk(staff.mediator), f"!resolve {escalation.group()} seen")
    await page_for(staff.mediator, staff.desk(staff.mediator), f"{escalation.group()} is resolved")


async def test_handoff_relays_both_ways_under_a_staff_pseudonym(
    telegram: TelegramStack, staff: Staff
) -> None:
    person = await telegram.enrolled("tg_handoff", mediator=user_id(DEMO_MEDIATOR))
    await person.say("yes")
    code = telegram.code_of(person)
    desk = staff.desk(staff.mediator)
    before = len(person.bot_messages())
    await staff.mediator.send(desk, f"!take {code} they asked for me")
    taken = await page_for(staff.mediator, desk, f"!say {code}")
    assert "comes to this desk" in taken
    told = await person.answers_after(before)
    assert "A person from the programme will answer you here" in told

    telegram.fake.user_says(person.user_id, "can we talk about friday")
    await page_for(staff.mediator, desk, f"{code}: can we talk about friday")

    before = len(person.bot_messages())
    await staff.mediator.send(desk, f"!say {code} Yes, I will call you at three.")
    relayed = await person.answers_after(before)
    assert re.fullmatch(r"Programme staff M-[A-Z0-9]{4}: Yes, I will call you at three\.", relayed)
    assert "@" not in relayed and "localhost" not in relayed
    await page_for(staff.mediator, desk, f"{code}: sent.")

    before = len(person.bot_messages())
    await staff.mediator.send(desk, f"!release {code}")
    assert "handed the chat back" in await person.answers_after(before)


async def test_a_restart_mid_conversation_loses_nothing_and_answers_once(
    telegram: TelegramStack,
) -> None:
    person = await telegram.enrolled("tg_restart")
    await person.say("yes")
    stack = telegram.stack.stack
    await stack.stop_gateway()
    before = len(person.bot_messages())
    words = ("hi again", "are you there", "hello")
    for word in words:
        telegram.fake.user_says(person.user_id, word)
    offset = telegram.stack.gateway_log.stat().st_size
    await stack.start_gateway()
    await person.answers_after(before, quiet=4.0, timeout=60)
    pseudonym = telegram.stack.pseudonym_of(f"telegram:{person.user_id}")
    answered = [
        e
        for e in telegram.stack.gateway_events("turn_answered", offset)
        if e.get("participant") == pseudonym
    ]
    assert len(answered) == len(words)
    assert telegram.fake.pending == []  # every update confirmed
    # Another restart hands nothing over again and answers nothing twice.
    after_first = len(person.bot_messages())
    await stack.stop_gateway()
    await stack.start_gateway()
    await asyncio.sleep(4)
    assert len(person.bot_messages()) == after_first


async def test_a_participant_who_blocks_the_bot_is_reported_and_nothing_breaks(
    telegram: TelegramStack, staff: Staff
) -> None:
    person = await telegram.enrolled("tg_blocks", mediator=user_id(DEMO_MEDIATOR))
    await person.say("yes")
    code = telegram.code_of(person)
    telegram.fake.block(person.user_id)
    offset = telegram.stack.gateway_log.stat().st_size
    telegram.fake.user_says(person.user_id, "whatever")  # written just before blocking
    notice = await page_for(staff.mediator, staff.desk(staff.mediator), f"{code} cannot be reached")
    assert "whatever" not in notice
    assert telegram.stack.gateway_events("telegram_blocked", offset)
    # Others are still answered.
    other = await telegram.enrolled("tg_unaffected")
    assert other.intro
    telegram.fake.unblock(person.user_id)
    assert await person.say("hello")


async def test_flood_control_is_waited_out_and_the_reply_arrives_once(
    telegram: TelegramStack,
) -> None:
    person = await telegram.enrolled("tg_flood")
    await person.say("yes")
    attempts = telegram.fake.attempts("sendMessage")
    offset = telegram.stack.gateway_log.stat().st_size
    telegram.fake.fail_next("sendMessage", 429, retry_after=2)
    before = len(person.bot_messages())
    telegram.fake.user_says(person.user_id, "hello")
    replies = await person.answers_after(before, quiet=3.0)
    assert replies
    # One refused attempt, then every reply once.
    sent_now = len(person.bot_messages()) - before
    assert telegram.fake.attempts("sendMessage") - attempts == sent_now + 1
    limited = telegram.stack.gateway_events("rate_limited", offset)
    assert any(e.get("transport") == "telegram" for e in limited)


async def test_what_is_written_on_telegram_is_nowhere_on_disk(
    telegram: TelegramStack, staff: Staff
) -> None:
    person = await telegram.enrolled("tg_canary", mediator=user_id(DEMO_MEDIATOR))
    await person.say("yes")
    await person.say(f"my neighbour {CANARY} is loud")
    # Sealed in the vault, unreadable without its key; everything else holds nothing.
    vault = telegram.stack.open_vault()
    try:
        assert ParticipantRegistry(vault).find(f"telegram:{person.user_id}") is not None
    finally:
        vault.close()
    needles = {form.encode() for form in leak_forms(CANARY)} | {
        str(person.user_id).encode(),
        TOKEN.encode(),
    }
    found = []
    for path in telegram.home.rglob("*"):
        if path.is_file() and path.name != "telegram-token":
            data = path.read_bytes()
            found += [f"{path.relative_to(telegram.home)}" for n in needles if n in data]
    assert found == []


async def test_deletion_takes_what_telegram_allows_and_says_what_stays(
    telegram: TelegramStack,
) -> None:
    person = await telegram.enrolled("tg_leaves")
    await person.say("yes")
    await person.say("hello")
    # Two days pass: what was written so far is past Telegram's 48 hours.
    telegram.fake.advance(49 * 3600)
    old_cutoff = len(telegram.fake.received(person.user_id))
    old_bot = len(person.bot_messages())
    await person.say("delete my data")
    before = len(person.bot_messages())
    telegram.fake.user_says(person.user_id, "yes")
    farewell = text("deleted_on_telegram", "en")
    async with asyncio.timeout(60):
        while farewell not in person.bot_messages()[before:]:
            await asyncio.sleep(0.2)
    vault = telegram.stack.open_vault()
    try:
        assert ParticipantRegistry(vault).find(f"telegram:{person.user_id}") is None
    finally:
        vault.close()
    theirs = telegram.fake.received(person.user_id)
    ours = telegram.fake.sent(person.user_id)
    # Within 48 hours, theirs and ours are gone; older ones stay, as the farewell says.
    assert all(m.deleted for m in theirs[old_cutoff:])
    assert not any(m.deleted for m in theirs[:old_cutoff])
    assert all(m.deleted for m in ours[old_bot:] if m.text != farewell)
    assert not any(m.deleted for m in ours[:old_bot])
    assert [m.text for m in ours if not m.deleted][-1] == farewell
