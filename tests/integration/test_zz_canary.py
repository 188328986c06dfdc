"""The canary: nothing anyone wrote, and no participant's Matrix id, in any file.

With the whole system running, a participant holds a conversation containing a
unique canary string. Then every file under the state directory (Synapse's
database included: rooms are end-to-end encrypted), every log, and the captured
stdout and stderr of every process, is searched as raw bytes. Named to run after
the other integration tests, so it also audits everything their conversations
left behind.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.conftest import RecordingChatClient, RunningStack

pytestmark = pytest.mark.integration

CANARY = "kanariefågel-7c1e9b"


# The homeserver necessarily knows who is in which room; that is metadata it
# holds by design (docs/privacy.md). Nowhere else may a participant's id appear.
MATRIX_ID_ALLOWED = ("synapse",)


def state_files(stack: RunningStack) -> list[Path]:
    """Every file the running system wrote: state, databases, logs, process output."""
    return [p for p in stack.stack.layout.home.rglob("*") if p.is_file()]


def outside(files: list[Path], home: Path, allowed: tuple[str, ...]) -> list[Path]:
    return [p for p in files if p.relative_to(home).parts[0] not in allowed]


async def test_no_text_and_no_participant_id_in_any_file(running_stack: RunningStack) -> None:
    client = await running_stack.new_client("canary", enroll_language="sv")
    try:
        room = await client.open_chat(running_stack.bot_user_id)
        for text in ("hej", "ja", f"3, {CANARY}", f"nej ingen kontakt {CANARY}", "min bror"):
            await client.send(room, text)
            await client.replies(room, 1, timeout=30)
            await client.quiet_for(room, 1)
    finally:
        await client.stop()
    await asyncio.sleep(2)  # let the gateway seal its stores and flush its logs

    home = running_stack.stack.layout.home
    files = state_files(running_stack)
    names = {p.name for p in files}
    assert {"gateway.log", "rasa.log", "actions.log", "vault.db", "homeserver.db"} <= names
    texts = {text for text in RecordingChatClient.sent if len(text) >= 6}
    assert find_leaks(files, {CANARY, *texts}) == []
    participant_ids = {str(client.client.user_id)}
    assert find_leaks(outside(files, home, MATRIX_ID_ALLOWED), participant_ids) == []


def find_leaks(files: list[Path], needles: set[str]) -> list[tuple[str, str]]:
    """Every (file name, needle) pair where the needle occurs as raw bytes."""
    hits = []
    for path in files:
        data = path.read_bytes()
        hits += [(path.name, n) for n in sorted(needles) if n.encode() in data]
    return hits


def test_the_audit_catches_a_planted_leak(tmp_path: Path) -> None:
    clean = tmp_path / "clean.log"
    clean.write_bytes(b'{"event": "turn_answered", "participant": "pabc"}')
    leaked = tmp_path / "leak.log"
    leaked.write_bytes(f'{{"event": "oops", "text": "{CANARY}"}}'.encode())
    assert find_leaks([clean], {CANARY}) == []
    assert find_leaks([clean, leaked], {CANARY}) == [("leak.log", CANARY)]
