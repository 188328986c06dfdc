"""Session-wide fixtures: one real stack (Synapse, Rasa, action server, gateway)."""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pytest
import pytest_asyncio

from bot.config import load_config
from bot.ids import participant_code
from bot.launcher.homeserver import register_user
from bot.launcher.layout import StackLayout
from bot.launcher.stack import STAFF_SECRETS, Stack, user_id
from bot.state.participants import ParticipantRegistry
from bot.transports.matrix.chat_client import ChatClient
from safety.vault import Vault, load_or_create_key_file

PROJECT = Path(__file__).resolve().parents[1]

pytest_plugins = [
    "tests.support.synapse_fixtures",
    "tests.support.postgres_fixtures",
    "tests.support.element",
]


class RecordingChatClient(ChatClient):
    """A participant client that remembers every text it sent, for the log audit."""

    sent: ClassVar[list[str]] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sent_ids: list[str] = []

    async def send(self, room_id: str, text: str, txn_id: str | None = None) -> str:
        RecordingChatClient.sent.append(text)
        event_id = await super().send(room_id, text, txn_id)
        self.sent_ids.append(event_id)
        return event_id


@dataclass
class RunningStack:
    stack: Stack
    shared_secret: str
    bot_user_id: str
    device_root: Path

    @property
    def gateway_log(self) -> Path:
        return self.stack.layout.logs / "gateway.log"

    def _complete_lines(self, since_offset: int) -> list[str]:
        """The log's lines from a byte offset on, without a last line the gateway is
        still writing (read mid-write, it would be half a JSON record)."""
        with self.gateway_log.open("rb") as handle:
            handle.seek(since_offset)
            data = handle.read()
        complete = data[: data.rfind(b"\n") + 1]
        return complete.decode().splitlines()

    def gateway_events(self, kind: str, since_offset: int = 0) -> list[dict[str, object]]:
        """The gateway's structured log events of one kind, from a byte offset on."""
        found = []
        lines = self._complete_lines(since_offset)
        for line in lines:
            if line.startswith("{"):
                record = json.loads(line)
                if record.get("event") == kind:
                    found.append(record)
        return found

    def gateway_events_of(self, kinds: set[str], since_offset: int = 0) -> list[dict[str, object]]:
        """The gateway's structured log events of several kinds, in the order logged."""
        lines = self._complete_lines(since_offset)
        records = (json.loads(line) for line in lines if line.startswith("{"))
        return [record for record in records if record.get("event") in kinds]

    def open_vault(self) -> Vault:
        """The stack's vault, opened beside the running gateway (close it after use)."""
        home = self.stack.layout.home
        config = load_config(home / "samtal.yaml", home)
        return Vault(config.vault_path, load_or_create_key_file(config.kek_file, create=False))

    def open_vault_path(self) -> Path:
        """The stack's vault file, for tests that tamper with it as someone with
        the disk would."""
        home = self.stack.layout.home
        return load_config(home / "samtal.yaml", home).vault_path

    def pseudonym_of(self, matrix_id: str) -> str:
        """The pseudonym the gateway's log names ``matrix_id`` by."""
        vault = self.open_vault()
        try:
            return str(ParticipantRegistry(vault).pseudonym_of(matrix_id))
        finally:
            vault.close()

    def participant_code(self, matrix_id: str) -> str:
        """The code mediators see for ``matrix_id``, derived with the stack's vault key."""
        vault = self.open_vault()
        try:
            return participant_code(ParticipantRegistry(vault).pseudonym_of(matrix_id))
        finally:
            vault.close()

    async def register(self, prefix: str, *, rate_limited: bool = False) -> tuple[str, str]:
        """A fresh account. The homeserver keeps `make run`'s rate limits; a test's own
        client accounts are exempted from them (never the bot) unless asked not to be."""
        localpart = f"{prefix}-{secrets.token_hex(4)}"
        password = secrets.token_urlsafe(16)
        user = await register_user(
            self.stack.homeserver_url, self.shared_secret, localpart, password
        )
        if not rate_limited:
            await self.stack.exempt_from_rate_limits(user.user_id)
        return user.user_id, password

    async def new_client(
        self, prefix: str, *, enroll_language: str | None, mediator: str | None = None
    ) -> RecordingChatClient:
        """Register a fresh user, optionally enrol them, and log their client in."""
        matrix_id, password = await self.register(prefix)
        if enroll_language is not None:
            await self.stack.enroll(matrix_id, enroll_language, mediator)
        client = RecordingChatClient(
            self.stack.homeserver_url,
            matrix_id,
            self.device_root / matrix_id.split(":")[0].lstrip("@"),
            secrets.token_urlsafe(32),
        )
        await client.login(password)
        await client.start()
        return client


@dataclass
class Staff:
    mediator: ChatClient
    on_call: ChatClient
    supervisor: ChatClient
    # The team room all staff share (content-free notices only).
    room_id: str
    # Each staff member's desk: the room with only them and the bot.
    desks: dict[str, str]

    @property
    def everyone(self) -> tuple[ChatClient, ChatClient, ChatClient]:
        return (self.mediator, self.on_call, self.supervisor)

    def desk(self, client: ChatClient) -> str:
        return self.desks[str(client.client.user_id)]


@pytest_asyncio.fixture(scope="session")
async def staff(running_stack: RunningStack) -> AsyncIterator[Staff]:
    """The demo mediator, on-call mediator and supervisor, each in the staff room."""
    layout = running_stack.stack.layout
    clients = []
    for localpart, secret in STAFF_SECRETS.items():
        # Three test clients play the staff; they, not the bot, are exempted.
        await running_stack.stack.exempt_from_rate_limits(user_id(localpart))
        client = ChatClient(
            running_stack.stack.homeserver_url,
            user_id(localpart),
            running_stack.device_root / localpart,
            secrets.token_urlsafe(32),
        )
        await client.login(layout.read_secret(secret))
        await client.start()
        clients.append(client)
    room_id = ""
    desks: dict[str, str] = {}
    bot = running_stack.bot_user_id
    async with asyncio.timeout(30):
        while not room_id or len(desks) < len(clients):
            shared = [set(c.rooms_shared_with(bot)) for c in clients]
            common = set.intersection(*shared)
            room_id = next(iter(common), "")
            desks = {str(c.client.user_id): d for c in clients if (d := c.private_room_with(bot))}
            await asyncio.sleep(0.2)
    try:
        yield Staff(clients[0], clients[1], clients[2], room_id, desks)
    finally:
        for client in clients:
            await client.stop()


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


GATEWAY_LOG_TAIL_LINES = 120


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    """A failing test that used the stack carries the gateway's log tail in its
    report, so a failure on CI can be read afterwards. The gateway's log is
    content-free by design (the canary tests hold it to that)."""
    outcome = yield
    report = outcome.get_result()
    stack = getattr(item, "funcargs", {}).get("running_stack")
    if report.when != "call" or not report.failed or not isinstance(stack, RunningStack):
        return
    try:
        lines = stack.gateway_log.read_text(errors="replace").splitlines()
    except OSError as exc:
        lines = [f"(gateway log unreadable: {exc.strerror})"]
    report.sections.append(("gateway log (last lines)", "\n".join(lines[-GATEWAY_LOG_TAIL_LINES:])))
