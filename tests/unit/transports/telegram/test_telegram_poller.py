"""The long poll and the webhook: batches in order, offsets saved only after the
handler returned, flood control and network failures waited out."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Sequence

import pytest
from aiogram import Bot
from aiogram.types import Update
from aiohttp import ClientSession

from bot.core.model import Inbound
from bot.transports.telegram.client import make_bot
from bot.transports.telegram.offsets import KIND as OFFSETS
from bot.transports.telegram.offsets import OffsetStore
from bot.transports.telegram.poller import ALLOWED_UPDATES, Poller, TokenRefused, each_arrival
from bot.transports.telegram.transport import TelegramTransport
from bot.transports.telegram.updates import Arrival, StartCommand
from bot.transports.telegram.webhook import SECRET_HEADER, start_webhook, webhook_secret
from safety.vault import Vault
from tests.support.fake_telegram import FakeTelegram
from tests.support.leaks import leak_forms
from tests.unit.transports.telegram.common import TOKEN, FakeClock, LogRecorder

USER = 313131313


class Recorder:
    """A gateway handler that remembers what it was given, and can be made to fail."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.failures = 0

    async def __call__(self, updates: Sequence[Update]) -> None:
        if self.failures:
            self.failures -= 1
            raise RuntimeError("the pipeline fell over")
        self.batches.append([u.update_id for u in updates])

    @property
    def handled(self) -> list[int]:
        return [u for batch in self.batches for u in batch]


def poller(bot: Bot, vault: Vault, handler: Recorder, clock: FakeClock) -> Poller:
    return Poller(bot, OffsetStore(vault), handler, timeout_seconds=0, sleep=clock.sleep)


async def test_a_batch_arrives_in_order_and_its_offset_is_saved_after(
    bot: Bot, vault: Vault, fake: FakeTelegram, clock: FakeClock
) -> None:
    sent = [fake.user_says(USER, f"meddelande {i}")["update_id"] for i in range(3)]
    handler = Recorder()
    polling = poller(bot, vault, handler, clock)
    assert await polling.poll_once() == 3
    assert handler.batches == [sent]
    assert OffsetStore(vault).load() == sent[-1] + 1
    # The next request confirms the batch, and Telegram forgets it.
    assert await polling.poll_once() == 0
    assert fake.pending == []
    assert fake.get_updates_params[0]["allowed_updates"] == ALLOWED_UPDATES


async def test_a_failing_handler_gets_the_same_batch_again(
    bot: Bot, vault: Vault, fake: FakeTelegram, clock: FakeClock, recorded: LogRecorder
) -> None:
    sent = [fake.user_says(USER, f"meddelande {i}")["update_id"] for i in range(2)]
    handler = Recorder()
    handler.failures = 1
    polling = poller(bot, vault, handler, clock)
    assert await polling.poll_once() == 0
    assert OffsetStore(vault).load() is None
    assert len(fake.pending) == 2
    assert await polling.poll_once() == 2
    assert handler.batches == [sent]
    assert recorded.of("telegram_batch_failed") == [
        {"error": "RuntimeError", "wait_s": 1.0, "updates": 2}
    ]


async def test_a_restart_resumes_after_the_last_batch_handled(
    bot: Bot, vault: Vault, fake: FakeTelegram, clock: FakeClock
) -> None:
    first = fake.user_says(USER, "ett")["update_id"]
    before = Recorder()
    await poller(bot, vault, before, clock).poll_once()
    # Telegram never heard the confirmation: the process stopped before polling again.
    assert [u["update_id"] for u in fake.pending] == [first]
    second = fake.user_says(USER, "två")["update_id"]
    after = Recorder()
    await poller(bot, vault, after, clock).poll_once()
    assert before.handled == [first]
    assert after.handled == [second]


async def test_a_crash_inside_the_handler_loses_nothing(
    bot: Bot, vault: Vault, fake: FakeTelegram, clock: FakeClock
) -> None:
    sent = fake.user_says(USER, "ett")["update_id"]
    started = asyncio.Event()

    async def stuck(updates: Sequence[Update]) -> None:
        started.set()
        await asyncio.Event().wait()

    polling = Poller(bot, OffsetStore(vault), stuck, timeout_seconds=0, sleep=clock.sleep)
    task = asyncio.create_task(polling.run())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert OffsetStore(vault).load() is None
    handler = Recorder()
    await poller(bot, vault, handler, clock).poll_once()
    assert handler.handled == [sent]


async def test_flood_control_on_polling_is_waited_out(
    bot: Bot, vault: Vault, fake: FakeTelegram, clock: FakeClock
) -> None:
    fake.fail_next("getUpdates", 429, retry_after=11)
    fake.user_says(USER, "hej")
    handler = Recorder()
    polling = poller(bot, vault, handler, clock)
    assert await polling.poll_once() == 0
    assert clock.slept == [11]
    assert await polling.poll_once() == 1


async def test_failures_back_off_doubling_to_thirty_seconds_then_reset(
    bot: Bot, vault: Vault, fake: FakeTelegram, clock: FakeClock
) -> None:
    for _ in range(7):
        fake.fail_next("getUpdates", 502, description="Bad Gateway")
    handler = Recorder()
    polling = poller(bot, vault, handler, clock)
    for _ in range(7):
        await polling.poll_once()
    assert clock.slept == [1, 2, 4, 8, 16, 30, 30]
    await polling.poll_once()  # succeeds
    fake.fail_next("getUpdates", 502, description="Bad Gateway")
    await polling.poll_once()
    assert clock.slept[-1] == 1


async def test_an_unreachable_server_backs_off(vault: Vault, clock: FakeClock) -> None:
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    bot = make_bot(TOKEN, f"http://127.0.0.1:{port}")
    try:
        await poller(bot, vault, Recorder(), clock).poll_once()
    finally:
        await bot.session.close()
    assert clock.slept == [1]


async def test_a_refused_token_stops_polling_without_repeating_it(
    fake: FakeTelegram, vault: Vault, clock: FakeClock
) -> None:
    wrong = TOKEN[:-6] + "qwerty"
    bot = make_bot(wrong, fake.url)
    try:
        with pytest.raises(TokenRefused) as refused:
            await poller(bot, vault, Recorder(), clock).poll_once()
    finally:
        await bot.session.close()
    assert "qwerty" not in str(refused.value)
    assert refused.value.__cause__ is None


async def test_polling_leaves_a_webhook_left_behind(
    bot: Bot, vault: Vault, fake: FakeTelegram, clock: FakeClock
) -> None:
    await bot.set_webhook("https://bot.example.org/tg")
    fake.user_says(USER, "hej")
    handler = Recorder()
    polling = poller(bot, vault, handler, clock)
    task = asyncio.create_task(polling.run())
    while not handler.handled:
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert fake.webhook_url == ""
    assert len(handler.handled) == 1


async def test_the_offset_is_sealed_and_never_moves_back(vault: Vault) -> None:
    store = OffsetStore(vault)
    store.save(500)
    store.save(400)
    assert store.load() == 500
    assert [owner for owner, _ in vault.items(OFFSETS)] == ["_system"]


async def test_polled_updates_reach_the_pipeline_through_the_transport(
    bot: Bot, vault: Vault, fake: FakeTelegram, clock: FakeClock, recorded: LogRecorder
) -> None:
    transport = TelegramTransport(bot, vault, {}.get)
    arrived: list[Arrival] = []

    async def pipeline(arrival: Arrival) -> None:
        arrived.append(arrival)

    text = "Jag har haft en svår dag"
    fake.user_says(USER, "/start")
    fake.user_says(USER + 1, "hej alla", chat_type="group")
    fake.user_says(USER, text, username="kalle_k")
    handler = each_arrival(transport.take, pipeline)
    polling = Poller(bot, OffsetStore(vault), handler, timeout_seconds=0, sleep=clock.sleep)
    assert await polling.poll_once() == 3
    assert [type(a) for a in arrived] == [StartCommand, Inbound]
    assert isinstance(arrived[1], Inbound)
    assert arrived[1].text == text
    assert recorded.of("telegram_batch") == [{"updates": 3}]
    logged = recorded.text + repr(recorded.events)
    for secret in (text, "kalle_k", str(USER), TOKEN):
        assert not any(form in logged for form in leak_forms(secret))


async def test_a_long_poll_waits_for_the_next_message(
    bot: Bot, vault: Vault, fake: FakeTelegram
) -> None:
    handler = Recorder()
    polling = Poller(bot, OffsetStore(vault), handler, timeout_seconds=20)
    waiting = asyncio.create_task(polling.poll_once())
    while not fake.get_updates_params:
        await asyncio.sleep(0.01)
    sent = fake.user_says(USER, "nu")["update_id"]
    assert await waiting == 1
    assert handler.handled == [sent]


async def test_the_webhook_takes_only_requests_carrying_the_secret(
    bot: Bot, vault: Vault, fake: FakeTelegram, recorded: LogRecorder
) -> None:
    handler = Recorder()
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    secret = webhook_secret(vault)
    runner = await start_webhook(bot, "https://bot.example.org/tg", port, secret, handler)
    local = f"http://127.0.0.1:{port}/tg"
    try:
        assert fake.webhook_url == "https://bot.example.org/tg"
        assert fake.webhook_secret == secret
        assert fake.webhook_allowed_updates == ALLOWED_UPDATES
        update = fake.user_says(USER, "hej")
        async with ClientSession() as session:
            async with session.post(local, json=update) as anonymous:
                assert anonymous.status == 401
            forged = {SECRET_HEADER: "guess"}
            async with session.post(local, json=update, headers=forged) as guessed:
                assert guessed.status == 401
        assert handler.handled == []
        handler.failures = 1
        assert await fake.push_webhook(local) == 0  # refused: Telegram keeps it
        assert await fake.push_webhook(local) == 1
        assert handler.handled == [update["update_id"]]
    finally:
        await runner.cleanup()
    assert webhook_secret(vault) == secret
    assert recorded.of("telegram_webhook_refused") == [{"reason": "secret"}] * 2
