"""A fake Bot API server, a real aiogram bot pointed at it, a real vault."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from aiogram import Bot

from bot import logs
from bot.transports.telegram.client import make_bot
from bot.transports.telegram.send_gate import SendGate
from bot.transports.telegram.transport import TelegramTransport
from safety.vault import Vault, load_or_create_key_file
from tests.support.fake_telegram import FakeTelegram
from tests.unit.transports.telegram.common import TOKEN, FakeClock, LogRecorder


@pytest.fixture
def vault(tmp_path: Path) -> Iterator[Vault]:
    keys = load_or_create_key_file(tmp_path / "kek.hex", create=True)
    opened = Vault(tmp_path / "vault.db", keys)
    try:
        yield opened
    finally:
        opened.close()


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    server = FakeTelegram(TOKEN)
    await server.start()
    try:
        yield server
    finally:
        await server.close()


@pytest_asyncio.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[Bot]:
    made = make_bot(TOKEN, fake.url)
    try:
        yield made
    finally:
        await made.session.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def owners() -> dict[str, str]:
    """Conversation -> pseudonym, as the participant registry answers it."""
    return {}


@pytest.fixture
def transport(
    bot: Bot, vault: Vault, owners: dict[str, str], clock: FakeClock
) -> TelegramTransport:
    return TelegramTransport(
        bot, vault, owners.get, clock=clock, gate=SendGate(clock=clock, sleep=clock.sleep)
    )


@pytest.fixture
def recorded() -> Iterator[LogRecorder]:
    recorder = LogRecorder()
    stop = logs.observe(recorder.observe)
    logger = logging.getLogger("samtal")
    level = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(recorder)
    try:
        yield recorder
    finally:
        logger.removeHandler(recorder)
        logger.setLevel(level)
        stop()
