"""Session-wide fixtures: one real stack (Synapse, Rasa, action server, gateway)."""

from __future__ import annotations

import json
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import pytest
import pytest_asyncio

from bot.chatclient import ChatClient
from bot.homeserver import register_user
from bot.launcher.layout import StackLayout
from bot.launcher.stack import Stack

PROJECT = Path(__file__).resolve().parents[1]

pytest_plugins = ["tests.support.synapse_fixtures"]


class RecordingChatClient(ChatClient):
    """A participant client that remembers every text it sent, for the log audit."""

    sent: ClassVar[list[str]] = []

    async def send(self, room_id: str, text: str) -> str:
        RecordingChatClient.sent.append(text)
        return await super().send(room_id, text)


@dataclass
class RunningStack:
    stack: Stack
    shared_secret: str
    bot_user_id: str
    device_root: Path

    @property
    def gateway_log(self) -> Path:
        return self.stack.layout.logs / "gateway.log"

    def gateway_events(self, kind: str, since_offset: int = 0) -> list[dict[str, object]]:
        """The gateway's structured log events of one kind, from a byte offset on."""
        with self.gateway_log.open("rb") as handle:
            handle.seek(since_offset)
            lines = handle.read().decode().splitlines()
        found = []
        for line in lines:
            if line.startswith("{"):
                record = json.loads(line)
                if record.get("event") == kind:
                    found.append(record)
        return found

    async def register(self, prefix: str) -> tuple[str, str]:
        localpart = f"{prefix}-{secrets.token_hex(4)}"
        password = secrets.token_urlsafe(16)
        user = await register_user(
            self.stack.homeserver_url, self.shared_secret, localpart, password
        )
        return user.user_id, password

    async def new_client(self, prefix: str, *, enroll_language: str | None) -> ChatClient:
        """Register a fresh user, optionally enrol them, and log their client in."""
        user_id, password = await self.register(prefix)
        if enroll_language is not None:
            await self.stack.enroll(user_id, enroll_language, None)
        client = RecordingChatClient(
            self.stack.homeserver_url,
            user_id,
            self.device_root / user_id.split(":")[0].lstrip("@"),
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
