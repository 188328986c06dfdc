"""Sessions, sealing and shredding of Rasa trackers in the running stack.

Rasa here is the stack's own server, with the EncryptedTrackerStore on the
gateway's SQLite vault. These tests talk to it over its HTTP API with fresh
pseudonymous sender ids, as the gateway does.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from bot.ids import ParticipantId
from bot.rasa.client import RasaClient, RasaControl
from safety.tracker_store import TrackerJournal
from safety.vault import Vault, load_or_create_key_file
from tests.conftest import RunningStack

pytestmark = pytest.mark.integration

METADATA = {"language": "sv", "consented": True, "consent_version": "v1"}


@pytest_asyncio.fixture
async def rasa(running_stack: RunningStack) -> AsyncIterator[RasaClient]:
    stack = running_stack.stack
    async with RasaClient(stack.rasa_url, stack.layout.read_secret("rasa.token"), 30) as client:
        yield client


def open_journal(running_stack: RunningStack) -> TrackerJournal:
    """The stack's vault, opened as the gateway does (same file, same KEK)."""
    home = running_stack.stack.layout.home
    keys = load_or_create_key_file(home / "secrets" / "kek.hex", create=False)
    return TrackerJournal(Vault(home / "gateway" / "vault.db", keys))


def files_containing(root: Path, needle: str) -> list[Path]:
    return [
        path
        for path in root.rglob("*")
        if path.is_file() and not path.is_symlink() and needle.encode() in path.read_bytes()
    ]


def user_texts(events: list[Any]) -> list[str]:
    return [str(e.get("text")) for e in events if e.get("event") == "user"]


async def loaded_by_rasa(rasa: RasaClient, sender: str) -> dict[str, Any]:
    """The tracker Rasa loads to predict the next action (``/predict`` echoes it)."""
    payload = await rasa.post_json(f"/conversations/{sender}/predict", {})
    tracker: dict[str, Any] = payload["tracker"]
    return tracker


async def test_start_session_begins_a_session_and_the_old_one_is_not_loaded(
    running_stack: RunningStack, rasa: RasaClient
) -> None:
    sender = ParticipantId(f"p-{secrets.token_hex(8)}")
    for text in ("hej", "ja", "3"):  # with consent: likely inside a check-in by now
        await rasa.message(sender, text, METADATA)
    before = await loaded_by_rasa(rasa, sender)
    assert user_texts(before["events"]) == ["hej", "ja", "3"]

    await RasaControl(rasa).start_session(sender, {"checkin": "weekly"})

    loaded = await loaded_by_rasa(rasa, sender)
    names = [(e["event"], e.get("name")) for e in loaded["events"]]
    assert names[:2] == [("action", "action_session_start"), ("session_started", None)]
    assert user_texts(loaded["events"]) == []  # none of the earlier turns is loaded
    assert loaded["active_loop"] == {}  # whatever form was active is over
    assert loaded["slots"]["session_started_metadata"] == {"checkin": "weekly"}

    await rasa.message(sender, "hej", METADATA)
    journal = open_journal(running_stack)
    try:
        current, full = journal.current(sender) or [], journal.full(sender) or []
        assert user_texts(current) == ["hej"]
        assert user_texts(full) == ["hej", "ja", "3", "hej"]
        head = journal.head(sender)  # the earlier events are sealed apart, in closed sessions
        assert head is not None and head.before == len(full) - len(current) > 0
    finally:
        journal.vault.close()


async def test_no_message_text_on_disk_and_shredding_makes_the_tracker_unreadable(
    running_stack: RunningStack, rasa: RasaClient
) -> None:
    home = running_stack.stack.layout.home
    sender = ParticipantId(f"p-{secrets.token_hex(8)}")
    canary = f"kanarie-{secrets.token_hex(8)}"
    await rasa.message(sender, "hej", METADATA)
    await rasa.message(sender, "ja", METADATA)
    await rasa.message(sender, f"{canary} mår sådär", METADATA)
    await RasaControl(rasa).start_session(sender, {})
    await rasa.message(sender, f"hej {canary}", METADATA)

    journal = open_journal(running_stack)
    try:
        assert canary in json.dumps(journal.full(sender))  # stored, and readable with the key
        assert files_containing(home, canary) == []  # but nowhere in plaintext: vault, logs
        assert files_containing(home / "gateway", sender) != []  # the search does see the vault

        journal.vault.shred(sender)
        assert journal.current(sender) is None
        assert journal.full(sender) is None
    finally:
        journal.vault.close()
    state = await _get_tracker(running_stack, sender)
    assert canary not in json.dumps(state)  # Rasa itself can no longer read it
    assert files_containing(home, canary) == []


async def _get_tracker(running_stack: RunningStack, sender: str) -> dict[str, Any]:
    stack = running_stack.stack
    async with (
        aiohttp.ClientSession() as http,
        http.get(
            f"{stack.rasa_url}/conversations/{sender}/tracker",
            params={"token": stack.layout.read_secret("rasa.token")},
        ) as response,
    ):
        assert response.status == 200
        state: dict[str, Any] = await response.json()
        return state
