"""Session-wide fixtures: one real stack (Synapse, Rasa, action server, gateway)."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio

from bot.chatclient import ChatClient
from bot.homeserver import register_user
from bot.launcher.layout import StackLayout
from bot.launcher.stack import Stack

PROJECT = Path(__file__).resolve().parents[1]

pytest_plugins = ["tests.support.synapse_fixtures"]


@dataclass
class RunningStack:
    stack: Stack
    shared_secret: str
    bot_user_id: str
    device_root: Path

    async def new_client(self, prefix: str, *, enroll_language: str | None) -> ChatClient:
        """Register a fresh user, optionally enrol them, and log their client in."""
        localpart = f"{prefix}-{secrets.token_hex(4)}"
        password = secrets.token_urlsafe(16)
        user = await register_user(
            self.stack.homeserver_url, self.shared_secret, localpart, password
        )
        if enroll_language is not None:
            await self.stack.enroll(user.user_id, enroll_language, None)
        client = ChatClient(
            self.stack.homeserver_url,
            user.user_id,
            self.device_root / localpart,
            secrets.token_urlsafe(32),
        )
        await client.login(password)
        await client.start()
        return client


@pytest_asyncio.fixture(scope="session")
async def running_stack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningStack]:
    home = tmp_path_factory.mktemp("samtal-home")
    stack = Stack(project=PROJECT, layout=StackLayout(home), for_tests=True)
    try:
        hs_layout = await stack.start_homeserver()
        await stack.provision(hs_layout)
        await stack.start_rasa()
        await stack.start_gateway()
        yield RunningStack(
            stack=stack,
            shared_secret=hs_layout.read_registration_secret(),
            bot_user_id="@samtal:localhost",
            device_root=tmp_path_factory.mktemp("devices"),
        )
    finally:
        await stack.stop()
