"""Logs carry event kinds, pseudonyms and timings: never what anyone wrote.

Named to run after the other integration tests, so it audits every log line
their conversations produced.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import RecordingChatClient, RunningStack

pytestmark = pytest.mark.integration

CANARY = "kanariefågel-7c1e9b"


def log_files(stack: RunningStack) -> list[Path]:
    home = stack.stack.layout.home
    files = [p for p in (home / "logs").rglob("*") if p.is_file()]
    files += [p for p in (home / "synapse").rglob("*.log") if p.is_file()]
    return files


async def test_no_message_text_or_participant_id_in_any_log(running_stack: RunningStack) -> None:
    client = await running_stack.new_client("canary", enroll_language="sv")
    try:
        room = await client.open_chat(running_stack.bot_user_id)
        await client.send(room, f"jag mår okej {CANARY}")
        await client.replies(room, 1, timeout=30)
    finally:
        await client.stop()

    files = log_files(running_stack)
    assert any(p.name == "gateway.log" for p in files)
    assert any(p.name == "rasa.log" for p in files)
    needles = {text for text in RecordingChatClient.sent if len(text) >= 6}
    needles.add(CANARY)
    needles.add(client.client.user_id)
    assert find_leaks(files, needles) == []


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
