"""The Telegram transport against the fake Bot API: sending, flood control, blocks,
deletion within and past 48 hours, idempotency, and what the bot knows of chats."""

from __future__ import annotations

import asyncio

import pytest
from aiogram import Bot

from bot.errors import ParticipantUnreachable
from bot.transports.port import Forgotten
from bot.transports.telegram.client import make_bot
from bot.transports.telegram.send_gate import SendGate
from bot.transports.telegram.sent_messages import KIND as SENT
from bot.transports.telegram.transport import (
    ConversationNotStarted,
    TelegramCallError,
    TelegramTransport,
    text_parts,
)
from safety.vault import Vault
from tests.support.fake_telegram import FakeTelegram
from tests.support.leaks import leak_forms
from tests.unit.transports.telegram.common import (
    BOT_ID,
    PSEUDONYM,
    TOKEN,
    FakeClock,
    LogRecorder,
)

USER = 424242001
CHAT = f"telegram:{USER}"
BOT = f"telegram:{BOT_ID}"
EXPECTED = frozenset({BOT, CHAT})
HOURS = 3600


@pytest.fixture
def enrolled(owners: dict[str, str], fake: FakeTelegram) -> str:
    """A participant who pressed Start and is known by a pseudonym."""
    owners[CHAT] = PSEUDONYM
    fake.user_says(USER, "/start", username="anna_s")
    return CHAT


async def test_a_notice_is_plain_text_without_previews(
    transport: TelegramTransport, fake: FakeTelegram, enrolled: str
) -> None:
    text = "Hej! Läs mer på https://example.org *inte fet*"
    sent_id = await transport.notice(enrolled, text, "k1", EXPECTED)
    [message] = fake.sent(USER)
    assert message.text == text
    assert message.parse_mode is None
    assert message.link_preview_disabled is True
    assert sent_id == f"telegram:{USER}:{message.message_id}"


async def test_a_chat_holding_someone_unexpected_gets_nothing(
    transport: TelegramTransport, fake: FakeTelegram, enrolled: str
) -> None:
    with pytest.raises(TelegramCallError, match="unexpected_reader"):
        await transport.notice(enrolled, "hej", "k1", frozenset({BOT, "telegram:1"}))
    assert fake.sent(USER) == []
    assert fake.attempts("sendMessage") == 0


async def test_the_same_key_sends_once_even_after_a_restart(
    transport: TelegramTransport,
    fake: FakeTelegram,
    enrolled: str,
    bot: Bot,
    vault: Vault,
    owners: dict[str, str],
) -> None:
    first = await transport.notice(enrolled, "hej", "turn-7:0", EXPECTED)
    again = await transport.notice(enrolled, "hej", "turn-7:0", EXPECTED)
    restarted = TelegramTransport(bot, vault, owners.get)
    after_restart = await restarted.notice(enrolled, "hej", "turn-7:0", EXPECTED)
    other = await transport.notice(enrolled, "hej", "turn-7:1", EXPECTED)
    assert first == again == after_restart
    assert other != first
    assert len(fake.sent(USER)) == 2


async def test_an_unowned_chat_is_idempotent_in_memory_and_keeps_nothing(
    transport: TelegramTransport, fake: FakeTelegram, vault: Vault
) -> None:
    fake.user_says(USER, "/start wrong-code")
    first = await transport.notice(CHAT, "Välkommen", "start:1", EXPECTED)
    assert await transport.notice(CHAT, "Välkommen", "start:1", EXPECTED) == first
    assert len(fake.sent(USER)) == 1
    assert list(vault.items(SENT)) == []


async def test_flood_control_is_waited_out_then_the_notice_goes(
    transport: TelegramTransport,
    fake: FakeTelegram,
    enrolled: str,
    clock: FakeClock,
    recorded: LogRecorder,
) -> None:
    fake.fail_next("sendMessage", 429, retry_after=7)
    await transport.notice(enrolled, "hej", "k1", EXPECTED)
    assert fake.attempts("sendMessage") == 2
    assert sum(clock.slept) >= 7
    assert len(fake.sent(USER)) == 1
    assert recorded.of("rate_limited")[0]["retry_after_ms"] == 7000


async def test_a_page_goes_before_a_reply_while_the_bot_is_held(
    bot: Bot, vault: Vault, fake: FakeTelegram, enrolled: str, owners: dict[str, str]
) -> None:
    clock = FakeClock()
    released = asyncio.Event()
    waiting: list[float] = []

    async def held_sleep(seconds: float) -> None:
        waiting.append(seconds)
        await released.wait()
        await clock.sleep(seconds)

    gate = SendGate(clock=clock, sleep=held_sleep)
    transport = TelegramTransport(bot, vault, owners.get, clock=clock, gate=gate)
    fake.fail_next("sendMessage", 429, retry_after=5)
    reply = asyncio.create_task(transport.notice(enrolled, "svar", "reply", EXPECTED))
    # The reply was refused and waits for its retry when the page arrives.
    while not waiting:
        await asyncio.sleep(0.01)
    page = asyncio.create_task(transport.notice(enrolled, "SIDA", "page", EXPECTED, page=True))
    while len(waiting) < 2:
        await asyncio.sleep(0.01)
    released.set()
    await asyncio.gather(reply, page)
    assert [m.text for m in fake.sent(USER)] == ["SIDA", "svar"]
    assert fake.attempts("sendMessage") == 3


async def test_endless_flood_control_gives_up_with_a_clear_error(
    transport: TelegramTransport, fake: FakeTelegram, enrolled: str
) -> None:
    for _ in range(5):
        fake.fail_next("sendMessage", 429, retry_after=1)
    with pytest.raises(TelegramCallError, match="rate_limited"):
        await transport.notice(enrolled, "hej", "k1", EXPECTED)
    assert fake.sent(USER) == []


async def test_a_blocked_bot_makes_the_participant_unreachable(
    transport: TelegramTransport, fake: FakeTelegram, enrolled: str, recorded: LogRecorder
) -> None:
    fake.block(USER)
    with pytest.raises(ParticipantUnreachable):
        await transport.notice(enrolled, "hej", "k1", EXPECTED)
    assert recorded.of("telegram_blocked") == [{"call": "send_message", "participant": PSEUDONYM}]


async def test_typing_shows_and_never_holds_up_a_blocked_chat(
    transport: TelegramTransport, fake: FakeTelegram, enrolled: str
) -> None:
    await transport.typing(enrolled, True)
    await transport.typing(enrolled, False)
    assert fake.chat_actions == [(USER, "typing")]
    fake.block(USER)
    await transport.typing(enrolled, True)
    assert fake.chat_actions == [(USER, "typing")]


async def test_redact_deletes_the_message(
    transport: TelegramTransport, fake: FakeTelegram, enrolled: str, vault: Vault
) -> None:
    sent_id = await transport.notice(enrolled, "hej", "k1", EXPECTED)
    await transport.redact(enrolled, sent_id, "forget")
    [message] = fake.sent(USER)
    assert message.deleted
    log = vault.get(SENT, PSEUDONYM, enrolled)
    assert log is not None
    assert log["messages"] == []


async def test_redact_past_48_hours_is_refused(
    transport: TelegramTransport, fake: FakeTelegram, enrolled: str
) -> None:
    sent_id = await transport.notice(enrolled, "hej", "k1", EXPECTED)
    fake.advance(49 * HOURS)
    with pytest.raises(TelegramCallError, match="too_old"):
        await transport.redact(enrolled, sent_id, "forget")
    assert not fake.sent(USER)[0].deleted


async def test_forgetting_deletes_what_telegram_allows_and_counts_the_rest(
    transport: TelegramTransport,
    fake: FakeTelegram,
    enrolled: str,
    clock: FakeClock,
    vault: Vault,
    recorded: LogRecorder,
) -> None:
    await transport.notice(enrolled, "gammalt", "k1", EXPECTED)
    fake.advance(47 * HOURS)
    clock.advance(47 * HOURS)
    await transport.notice(enrolled, "nytt", "k2", EXPECTED)
    await transport.notice(enrolled, "nyare", "k3", EXPECTED)
    fake.advance(2 * HOURS)
    clock.advance(2 * HOURS)
    forgotten = await transport.forget_conversation(enrolled)
    assert forgotten == Forgotten(deleted=2, kept=1)
    assert [m.deleted for m in fake.sent(USER)] == [False, True, True]
    assert vault.get(SENT, PSEUDONYM, enrolled) is None
    assert recorded.of("telegram_forgotten") == [
        {"participant": PSEUDONYM, "deleted": 2, "kept": 1}
    ]


async def test_a_message_telegram_calls_too_old_is_kept_not_failed(
    transport: TelegramTransport, fake: FakeTelegram, enrolled: str
) -> None:
    await transport.notice(enrolled, "ett", "k1", EXPECTED)
    await transport.notice(enrolled, "två", "k2", EXPECTED)
    fake.advance(49 * HOURS)  # Telegram's clock only: the record still thinks them fresh
    assert await transport.forget_conversation(enrolled) == Forgotten(deleted=0, kept=2)


async def test_after_forgetting_the_chat_must_be_started_again(
    transport: TelegramTransport, enrolled: str, fake: FakeTelegram
) -> None:
    transport.take(fake.pending[-1])
    assert await transport.open_conversation((enrolled,), direct=True) == enrolled
    await transport.forget_conversation(enrolled)
    with pytest.raises(ConversationNotStarted):
        await transport.open_conversation((enrolled,), direct=True)


async def test_a_chat_opens_only_once_the_person_started_it(
    transport: TelegramTransport,
    fake: FakeTelegram,
    owners: dict[str, str],
    bot: Bot,
    vault: Vault,
) -> None:
    with pytest.raises(ConversationNotStarted, match="link"):
        await transport.open_conversation((CHAT,), direct=True)
    owners[CHAT] = PSEUDONYM
    transport.take(fake.user_says(USER, "/start"))
    assert await transport.open_conversation((CHAT,), direct=True) == CHAT
    # A restart remembers it: the mark is sealed under the participant.
    restarted = TelegramTransport(bot, vault, owners.get)
    assert await restarted.open_conversation((CHAT,), direct=True) == CHAT


async def test_no_group_can_be_opened(transport: TelegramTransport) -> None:
    with pytest.raises(ConversationNotStarted, match="one person"):
        await transport.open_conversation((CHAT, "telegram:77"), name="Grupp")


async def test_what_the_bot_knows_of_a_chat(transport: TelegramTransport) -> None:
    assert transport.name == "telegram"
    assert transport.own_id == BOT
    assert transport.owns(CHAT)
    assert not transport.owns("!room:example.org")
    assert transport.knows(CHAT)
    assert not transport.knows("!room:example.org")
    assert not transport.knows("telegram:-100123")  # a group
    assert transport.members(CHAT) == EXPECTED
    assert transport.members("!room:example.org") == frozenset()
    assert transport.joined(CHAT, CHAT)
    assert not transport.joined(CHAT, "telegram:77")
    assert transport.encrypted(CHAT) is False
    assert await transport.bring_in(CHAT, "@mediator:example.org") is False


async def test_the_sent_record_is_the_participants_and_shredded_with_them(
    transport: TelegramTransport, enrolled: str, vault: Vault
) -> None:
    await transport.notice(enrolled, "hej", "k1", EXPECTED)
    assert [kind for kind, _ in vault.records_of(PSEUDONYM)] == [SENT]
    vault.shred(PSEUDONYM)
    assert list(vault.items(SENT)) == []


async def test_a_wrong_token_is_refused_and_never_repeated(
    fake: FakeTelegram, vault: Vault, enrolled: str
) -> None:
    wrong = TOKEN[:-4] + "zzzz"
    bot = make_bot(wrong, fake.url)
    try:
        transport = TelegramTransport(bot, vault, {CHAT: PSEUDONYM}.get)
        with pytest.raises(TelegramCallError, match="TelegramUnauthorizedError") as refused:
            await transport.notice(enrolled, "hej", "k1", EXPECTED)
    finally:
        await bot.session.close()
    assert wrong not in str(refused.value)
    assert "zzzz" not in repr(refused.value.__cause__)
    assert fake.sent(USER) == []


def test_long_text_is_cut_at_line_ends() -> None:
    text = "\n".join(["rad " * 300] * 5)  # about 6000 characters
    parts = text_parts(text, limit=4000)
    assert len(parts) == 2
    assert all(len(part) <= 4000 for part in parts)
    assert "\n".join(parts) == text
    assert text_parts("") == [""]


async def test_a_long_notice_arrives_whole(
    transport: TelegramTransport, fake: FakeTelegram, enrolled: str
) -> None:
    text = "x" * 9000
    await transport.notice(enrolled, text, "k1", EXPECTED)
    assert "".join(m.text for m in fake.sent(USER)) == text


async def test_logs_carry_no_text_names_or_ids(
    transport: TelegramTransport,
    fake: FakeTelegram,
    enrolled: str,
    clock: FakeClock,
    recorded: LogRecorder,
) -> None:
    reply = "Det låter tungt, Anna. Vill du prata?"
    fake.fail_next("sendMessage", 429, retry_after=3)
    sent_id = await transport.notice(enrolled, reply, "k1", EXPECTED)
    await transport.redact(enrolled, sent_id, "forget")
    await transport.notice(enrolled, reply, "k2", EXPECTED)
    fake.block(USER)
    with pytest.raises(ParticipantUnreachable):
        await transport.notice(enrolled, reply, "k3", EXPECTED)
    await transport.typing(enrolled, True)
    await transport.forget_conversation(enrolled)
    assert recorded.events, "nothing was logged: the check below would prove nothing"
    logged = recorded.text + repr(recorded.events)
    for secret in (reply, "anna_s", str(USER), TOKEN, TOKEN.split(":")[1], str(BOT_ID)):
        for form in leak_forms(secret):
            assert form not in logged


async def test_a_chat_started_before_enrolment_is_kept_once_enrolled(
    transport: TelegramTransport,
    fake: FakeTelegram,
    owners: dict[str, str],
    bot: Bot,
    vault: Vault,
) -> None:
    transport.take(fake.user_says(USER, "/start Abc"))  # a stranger, for now
    assert list(vault.items(SENT)) == []
    owners[CHAT] = PSEUDONYM  # the code was good: enrolled
    assert await transport.open_conversation((CHAT,), direct=True) == CHAT
    restarted = TelegramTransport(bot, vault, owners.get)
    assert await restarted.open_conversation((CHAT,), direct=True) == CHAT


async def test_redact_refuses_an_id_from_another_chat(
    transport: TelegramTransport, fake: FakeTelegram, enrolled: str
) -> None:
    await transport.notice(enrolled, "hej", "k1", EXPECTED)
    with pytest.raises(TelegramCallError, match="not_a_message_id"):
        await transport.redact(enrolled, "telegram:55:1", "forget")
    assert not fake.sent(USER)[0].deleted


async def test_a_long_notice_cut_short_is_sent_whole_again(
    transport: TelegramTransport, fake: FakeTelegram, enrolled: str, clock: FakeClock
) -> None:
    text = "a" * 4000 + "b" * 10
    # The first part goes; the second is refused.
    fake.fail_next("sendMessage", 500, description="Internal Server Error", after=1)
    with pytest.raises(TelegramCallError):
        await transport.notice(enrolled, text, "k1", EXPECTED)
    assert [m.text for m in fake.sent(USER)] == ["a" * 4000]
    await transport.notice(enrolled, text, "k1", EXPECTED)
    assert "".join(m.text for m in fake.sent(USER)[1:]) == text
    # Every part is in the record, to be deleted when the participant is forgotten.
    assert await transport.forget_conversation(enrolled) == Forgotten(deleted=3, kept=0)
