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
import contextlib
import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from bot.launcher.processes import ManagedProcess
from tests.conftest import RecordingChatClient, RunningStack
from tests.support.leaks import leak_forms

pytestmark = pytest.mark.integration

CANARY = "kanariefågel-7c1e9b"
# How Rasa's own channel and samtal's report a turn whose client hung up.
CANCEL_MARKERS = (b"rest.message.received.timeout", b"samtal.rest.turn_cancelled")
TURN_STARTED = b"samtal.rest.turn_started"


# The homeserver necessarily knows who is in which room; that is metadata it
# holds by design (docs/privacy.md). Nowhere else may a participant's id appear.
MATRIX_ID_ALLOWED = ("synapse",)


@contextlib.contextmanager
def paused(process: ManagedProcess | None) -> Iterator[None]:
    """The process (its whole group) stopped with SIGSTOP, and continued after."""
    assert process is not None and process.pid is not None
    os.killpg(process.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.killpg(process.pid, signal.SIGCONT)


def state_files(stack: RunningStack) -> list[Path]:
    """Every file the running system wrote: state, databases, logs, process output."""
    return [p for p in stack.stack.layout.home.rglob("*") if p.is_file()]


def outside(files: list[Path], home: Path, allowed: tuple[str, ...]) -> list[Path]:
    return [p for p in files if p.relative_to(home).parts[0] not in allowed]


async def test_a_gateway_killed_mid_turn_leaves_no_text_behind(
    running_stack: RunningStack,
) -> None:
    """Rasa sees the gateway hang up in the middle of a turn; its log must not
    keep the message it was working on."""
    client = await running_stack.new_client("canary-kill", enroll_language="sv")
    rasa_log = running_stack.stack.layout.logs / "rasa.log"
    offset = rasa_log.stat().st_size
    cut_off = False
    try:
        room = await client.open_chat(running_stack.bot_user_id)
        await client.send(room, "hej")
        await client.replies(room, 1, timeout=30)
        await client.quiet_for(room, 1)
        for attempt in range(5):
            started = rasa_log.read_bytes().count(TURN_STARTED)
            # The action server is paused (SIGSTOP), so the turn waits on it for as
            # long as the test needs: on an idle machine Rasa otherwise finishes
            # before the kill lands, and nothing is cut off.
            with paused(running_stack.stack.actions):
                await client.send(room, f"ja, {CANARY} {attempt}")
                # Kill the gateway once Rasa has started on the turn, while it waits.
                async with asyncio.timeout(30):
                    while rasa_log.read_bytes().count(TURN_STARTED) == started:
                        await asyncio.sleep(0.005)
                await asyncio.sleep(0.2)  # Rasa is now waiting on the paused action server
                await running_stack.stack.kill_gateway()
            await running_stack.stack.start_gateway()
            await client.replies(room, 1, timeout=60)  # the message is not lost either
            await client.quiet_for(room, 1)
            if any(m in rasa_log.read_bytes()[offset:] for m in CANCEL_MARKERS):
                cut_off = True
                break
    finally:
        await client.stop()
    assert cut_off, "the gateway was never killed mid-turn; nothing was tested"
    assert find_leaks([rasa_log], {CANARY}) == []


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
    """Every (file name, needle) pair where the needle occurs in any of its forms."""
    hits = []
    for path in files:
        data = path.read_bytes()
        for needle in sorted(needles):
            if any(form.encode() in data for form in leak_forms(needle)):
                hits.append((path.name, needle))
    return hits


def test_the_audit_catches_a_planted_leak(tmp_path: Path) -> None:
    clean = tmp_path / "clean.log"
    clean.write_bytes(b'{"event": "turn_answered", "participant": "pabc"}')
    leaked = tmp_path / "leak.log"
    leaked.write_bytes(f'{{"event": "oops", "text": "{CANARY}"}}'.encode())
    escaped = tmp_path / "escaped.log"
    escaped.write_bytes(json.dumps({"text": CANARY}).encode())  # "kanarief\u00e5gel-…"
    encoded = tmp_path / "encoded.log"
    encoded.write_bytes(f"GET /?q={quote(CANARY)}".encode())
    assert find_leaks([clean], {CANARY}) == []
    assert find_leaks([clean, leaked, escaped, encoded], {CANARY}) == [
        ("leak.log", CANARY),
        ("escaped.log", CANARY),
        ("encoded.log", CANARY),
    ]
