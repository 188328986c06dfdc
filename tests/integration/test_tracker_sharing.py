"""Two Rasa servers, one PostgreSQL tracker store, one Redis lock store, one conversation.

Both servers run the same model with the EncryptedTrackerStore on one
PostgreSQL vault and Rasa's RedisLockStore. One participant's turns go to the
servers alternately, and in pairs at the same moment; afterwards the stored
conversation holds every turn exactly once, in order, in the expected
sessions, and no message text appears anywhere in PostgreSQL's files.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
import pytest_asyncio

from bot.ids import ParticipantId
from bot.launcher.homeserver import free_port
from bot.launcher.layout import StackLayout
from bot.launcher.processes import ManagedProcess
from bot.launcher.rasa import RasaPaths, action_server, ensure_model, rasa_server, write_endpoints
from bot.rasa.client import RasaClient, RasaControl
from safety.tracker_store import TrackerJournal
from safety.vault import load_or_create_key_file, open_vault
from tests.support.postgres_fixtures import RunningPostgres
from tests.support.redis_fixtures import RunningRedis, redis_server  # noqa: F401

pytestmark = pytest.mark.integration

PROJECT = Path(__file__).resolve().parents[2]
METADATA = {"language": "sv", "consented": True, "consent_version": "v1"}


@dataclass
class TwoServers:
    clients: tuple[RasaClient, RasaClient]
    vault_url: str
    kek: Path
    postgres: RunningPostgres

    def journal(self) -> TrackerJournal:
        return TrackerJournal(
            open_vault(self.vault_url, load_or_create_key_file(self.kek, create=False))
        )


@pytest_asyncio.fixture(scope="module")
async def two_servers(
    tmp_path_factory: pytest.TempPathFactory,
    postgres_server: RunningPostgres,
    redis_server: RunningRedis,  # noqa: F811
) -> AsyncIterator[TwoServers]:
    root = tmp_path_factory.mktemp("rasa-pair")
    paths = RasaPaths.default(PROJECT)
    model, _ = await asyncio.to_thread(ensure_model, paths, root / "train")
    vault_url = postgres_server.new_database("tracker")
    action_port = free_port()
    processes: list[ManagedProcess] = [action_server(paths, root / "actions", action_port)]
    urls, tokens = [], []
    kek = root / "a" / "secrets" / "kek.hex"
    load_or_create_key_file(kek, create=True)
    for name in ("a", "b"):
        home, port = root / name, free_port()
        layout = StackLayout(home)
        if name == "b":  # the same KEK as server a: one vault, one key
            layout.secrets.mkdir(parents=True, mode=0o700)
            shutil.copyfile(kek, layout.secrets / "kek.hex")
            os.chmod(layout.secrets / "kek.hex", 0o600)
        processes.append(
            rasa_server(
                paths,
                home,
                model,
                port,
                action_port,
                layout.secret("rasa.token"),
                actions_home=root / "actions",
            )
        )
        # rasa_server wrote the embedded endpoints; point this server at the shared stores
        write_endpoints(
            home,
            action_port,
            actions_home=root / "actions",
            vault_url=vault_url,
            lock_store=redis_server.lock_store(),
        )
        urls.append(f"http://127.0.0.1:{port}")
        tokens.append(layout.read_secret("rasa.token"))
    try:
        for process in processes:
            await process.start()
        await asyncio.gather(
            processes[0].wait_http(f"http://127.0.0.1:{action_port}/health", 180),
            *(p.wait_http(f"{url}/", 300) for p, url in zip(processes[1:], urls, strict=True)),
        )
        clients = (
            RasaClient(urls[0], tokens[0], timeout_seconds=60),
            RasaClient(urls[1], tokens[1], timeout_seconds=60),
        )
        yield TwoServers(clients, vault_url, kek, postgres_server)
        for client in clients:
            await client.close()
    finally:
        for process in reversed(processes):
            await process.stop()


def user_texts(events: list[Any]) -> list[str]:
    return [str(e.get("text")) for e in events if e.get("event") == "user"]


def session_starts(events: list[Any]) -> int:
    return sum(1 for e in events if e.get("event") == "session_started")


async def test_one_conversation_alternately_through_two_servers(two_servers: TwoServers) -> None:
    sender = ParticipantId(f"p-{secrets.token_hex(8)}")
    canary = f"kanarie-{secrets.token_hex(6)}"
    script = ["hej", "ja", f"3 {canary}", "nej", "ok", "tack", "hej", "ja", "4", "hej då"]
    journal = two_servers.journal()
    sent: list[str] = []
    for turn, text in enumerate(script):
        client = two_servers.clients[turn % 2]
        if turn == 6:  # a new check-in, started through the other server
            await RasaControl(two_servers.clients[1 - turn % 2]).start_session(sender, METADATA)
        await client.message(sender, text, METADATA)
        sent.append(text)
        full = journal.full(sender) or []
        assert user_texts(full) == sent  # every turn stored once, in order, at once

    # Pairs of turns at the same moment: the Redis lock serialises them.
    for pair in range(4):
        texts = (f"samtidigt {pair} a", f"samtidigt {pair} b")
        await asyncio.gather(
            *(two_servers.clients[n].message(sender, texts[n], METADATA) for n in range(2))
        )
        sent += texts

    full = journal.full(sender) or []
    stored = user_texts(full)
    assert sorted(stored) == sorted(sent)
    assert stored[: len(script)] == script
    for pair in range(4):  # each pair complete before the next began
        assert set(stored[len(script) + 2 * pair : len(script) + 2 * pair + 2]) == {
            f"samtidigt {pair} a",
            f"samtidigt {pair} b",
        }
    assert session_starts(full) == 2  # the first session and the check-in we started
    # One turn at a time: had both servers run a pair's turns at once, the events
    # of the turn saved second would carry earlier times than those before them.
    times = [float(e["timestamp"]) for e in full]
    assert times == sorted(times)
    current = journal.current(sender) or []
    assert user_texts(current) == stored[6:]
    # Every user turn was answered: each is followed by an action before the next.
    kinds = [e["event"] for e in full if e["event"] in ("user", "action")]
    assert all(kinds[i + 1] == "action" for i, kind in enumerate(kinds) if kind == "user")
    journal.vault.close()

    found = await asyncio.to_thread(_in_postgres_files, two_servers.postgres, [canary, sender])
    assert found[canary] == []
    assert found[sender] != []  # the scan reads table data: owners are stored in the clear


def _in_postgres_files(postgres: RunningPostgres, needles: list[str]) -> dict[str, list[Path]]:
    """Which of PostgreSQL's files hold each needle, after a checkpoint."""
    with psycopg.connect(postgres.url(), autocommit=True) as admin:
        admin.execute("CHECKPOINT")  # table files and WAL now hold every write
    files = [path for path in postgres.data_dir.rglob("*") if path.is_file()]
    found: dict[str, list[Path]] = {needle: [] for needle in needles}
    for path in files:
        data = path.read_bytes()
        for needle in needles:
            if needle.encode() in data:
                found[needle].append(path)
    return found
