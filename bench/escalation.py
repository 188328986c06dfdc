"""Escalation latency: risk message sent → page decrypted by a mediator's client.

Measured with 1 and with 20 participants sending at once, next to a bare
end-to-end-encrypted echo bot on the same homeserver in the same run: the
floor any Matrix bot has here (the load generator shares the 2 cores).
"""

from __future__ import annotations

import asyncio
import os
import secrets
import tempfile
import time
from pathlib import Path

from nio import MatrixRoom, RoomMessageText

from bench.stats import percentile, summary
from bot.launcher.homeserver import register_user
from bot.launcher.layout import StackLayout
from bot.launcher.stack import DEMO_MEDIATOR, STAFF_SECRETS, Stack, user_id
from bot.transports.matrix.chat_client import ChatClient
from bot.transports.matrix.sender import notice_content

PROJECT = Path(__file__).resolve().parents[1]
RISK_TEXT = "jag vet var hon bor nu och har ringt henne 40 gånger"
ROUNDS = {1: 20, 20: 4}


class TimedClient(ChatClient):
    """Records when each message arrived, keyed by a marker in its body."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.arrivals: list[tuple[float, str]] = []

    async def _on_message(self, room: MatrixRoom, event: RoomMessageText) -> None:
        # A client's own message also comes back through its sync; only others count.
        if event.sender != self.client.user_id:
            self.arrivals.append((time.perf_counter(), event.body))
        await super()._on_message(room, event)

    def last_arrival(self) -> float:
        return self.arrivals[-1][0] if self.arrivals else 0.0

    async def arrival_of(self, marker: str, after: float, timeout: float = 30) -> float:
        async with asyncio.timeout(timeout):
            while True:
                for moment, body in self.arrivals:
                    if moment >= after and marker in body:
                        return moment
                await asyncio.sleep(0.005)


class EchoBot(ChatClient):
    """The floor: joins every invite and answers each text with the same text."""

    async def _on_message(self, room: MatrixRoom, event: RoomMessageText) -> None:
        if event.sender == self.client.user_id:
            return
        if self.client.should_query_keys:
            await self.client.keys_query()
        self.trust_room(room.room_id)
        await self.client.room_send(
            room.room_id,
            "m.room.message",
            notice_content(event.body),
            ignore_unverified_devices=True,
        )


async def until_quiet(clients: list[TimedClient], quiet_s: float = 1.0) -> None:
    """Wait until nothing has arrived for ``quiet_s``: the warm-up is not measured."""
    async with asyncio.timeout(60):
        while True:
            silent_for = time.perf_counter() - max(c.last_arrival() for c in clients)
            if silent_for >= quiet_s:
                return
            await asyncio.sleep(quiet_s - silent_for)


async def new_user(stack: Stack, shared: str, prefix: str) -> tuple[str, str]:
    localpart = f"{prefix}-{secrets.token_hex(3)}"
    password = secrets.token_urlsafe(12)
    user = await register_user(stack.homeserver_url, shared, localpart, password)
    # The homeserver has `make run`'s limits; the bench's own clients (and the echo
    # floor, which stands in for a bot) are exempted like the bot is.
    await stack.exempt_from_rate_limits(user.user_id)
    return user.user_id, password


async def client_for(
    stack: Stack, home: Path, matrix_id: str, password: str, kind: type[ChatClient] = TimedClient
) -> ChatClient:
    client = kind(
        stack.homeserver_url,
        matrix_id,
        home / matrix_id.split(":")[0][1:],
        secrets.token_urlsafe(32),
    )
    await client.login(password)
    await client.start()
    return client


async def measure_escalations(
    stack: Stack, shared: str, home: Path, mediator: TimedClient, count: int
) -> tuple[list[float], list[float]]:
    """Milliseconds until the mediator reads each page, and until the participant
    reads the bot's first answer (replies wait while pages go out first)."""
    participants: list[tuple[TimedClient, str, str]] = []
    for _ in range(count):
        matrix_id, password = await new_user(stack, shared, "p")
        await stack.enroll(matrix_id, "sv", user_id(DEMO_MEDIATOR))
        client = await client_for(stack, home, matrix_id, password)
        room = await client.open_chat(user_id("samtal"))
        assert isinstance(client, TimedClient)
        participants.append((client, room, code_of(stack, matrix_id)))
    await asyncio.gather(*(c.send(r, "hej") for c, r, _ in participants))
    await until_quiet([c for c, _, _ in participants])
    pages: list[float] = []
    replies: list[float] = []
    for _ in range(ROUNDS[count]):

        async def one(client: TimedClient, room: str, code: str) -> tuple[float, float]:
            sent = time.perf_counter()
            await client.send(room, RISK_TEXT)
            paged = await mediator.arrival_of(f"participant {code}", sent)
            answered = await client.arrival_of("", sent)
            return (paged - sent) * 1000, (answered - sent) * 1000

        for page, reply in await asyncio.gather(*(one(c, r, code) for c, r, code in participants)):
            pages.append(page)
            replies.append(reply)
        await asyncio.sleep(1.5)
    for client, _, _ in participants:
        await client.stop()
    return pages, replies


async def measure_echo(
    stack: Stack, shared: str, home: Path, echo_id: str, count: int
) -> list[float]:
    clients = []
    for _ in range(count):
        matrix_id, password = await new_user(stack, shared, "e")
        client = await client_for(stack, home, matrix_id, password)
        clients.append((client, await client.open_chat(echo_id)))
    samples: list[float] = []
    for round_no in range(ROUNDS[count]):

        async def one(client: ChatClient, room: str, n: int, round_no: int = round_no) -> float:
            marker = f"echo-{round_no}-{n}-{secrets.token_hex(2)}"
            sent = time.perf_counter()
            await client.send(room, marker)
            assert isinstance(client, TimedClient)
            return (await client.arrival_of(marker, sent) - sent) * 1000

        samples += await asyncio.gather(*(one(c, r, n) for n, (c, r) in enumerate(clients)))
        await asyncio.sleep(1.5)
    for client, _ in clients:
        await client.stop()
    return samples


def code_of(stack: Stack, matrix_id: str) -> str:
    from bot.config import load_config
    from bot.ids import participant_code
    from bot.state.participants import ParticipantRegistry
    from safety.vault import Vault, load_or_create_key_file

    home = stack.layout.home
    config = load_config(home / "samtal.yaml", home)
    vault = Vault(config.vault_path, load_or_create_key_file(config.kek_file, create=False))
    try:
        return participant_code(ParticipantRegistry(vault).pseudonym_of(matrix_id))
    finally:
        vault.close()


async def run() -> None:
    home = Path(tempfile.mkdtemp(prefix="samtal-bench-esc-"))
    long_deadlines = {"imminent": 3600.0, "high": 3600.0, "handoff": 3600.0}
    stack = Stack(
        project=PROJECT, layout=StackLayout(home), for_tests=True, ack_seconds=long_deadlines
    )
    try:
        hs_layout = await stack.start_homeserver()
        await stack.provision(hs_layout)
        await stack.start_rasa()
        await stack.start_gateway()
        shared = hs_layout.read_registration_secret()
        await stack.exempt_from_rate_limits(user_id(DEMO_MEDIATOR))
        mediator = await client_for(
            stack,
            home,
            user_id(DEMO_MEDIATOR),
            stack.layout.read_secret(STAFF_SECRETS[DEMO_MEDIATOR]),
        )
        assert isinstance(mediator, TimedClient)
        echo_id, echo_password = await new_user(stack, shared, "echo")
        echo = await client_for(stack, home, echo_id, echo_password, EchoBot)
        await asyncio.sleep(3)  # the mediator joins the staff room
        for count in [int(n) for n in os.environ.get("SAMTAL_BENCH_COUNTS", "1,20").split(",")]:
            floor = await measure_echo(stack, shared, home, echo_id, count)
            escalation, replies = await measure_escalations(stack, shared, home, mediator, count)
            ratio = percentile(escalation, 0.99) / percentile(floor, 0.99)
            print(f"{count:>2} participant(s): escalation {summary(escalation)}")
            print(f"{'':>17}  echo floor {summary(floor)}  → p99 ratio {ratio:.2f}")
            print(f"{'':>17}  first reply {summary(replies)}", flush=True)
        await echo.stop()
        await mediator.stop()
    finally:
        await stack.stop()


def main() -> None:
    asyncio.run(run())
