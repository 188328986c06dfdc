"""The participant owns their data: export, crypto-shredding, and the audit trail."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
from pathlib import Path

import pytest
from nio import RoomGetStateEventResponse

from bot.config import load_config
from bot.state.participants import ParticipantRegistry
from safety.audit.log import AuditLog
from safety.vault import Vault, load_or_create_key_file
from tests.conftest import RunningStack
from tests.support.cli import run_samtal

pytestmark = pytest.mark.integration


def samtal(stack: RunningStack, *args: str) -> subprocess.CompletedProcess[str]:
    return run_samtal(stack.stack.layout.home, *args)


def open_vault(stack: RunningStack) -> Vault:
    home = stack.stack.layout.home
    config = load_config(home / "samtal.yaml", home)
    return Vault(config.vault_path, load_or_create_key_file(config.kek_file, create=False))


async def test_export_then_forget_while_the_gateway_runs(
    running_stack: RunningStack, tmp_path: Path
) -> None:
    client = await running_stack.new_client("owner", enroll_language="sv")
    room = await client.open_chat(running_stack.bot_user_id)
    for text in ("hej", "ja"):
        await client.send(room, text)
        await client.replies(room, 1, timeout=30)
        await client.quiet_for(room, 2)
    code = running_stack.participant_code(str(client.client.user_id))

    out = tmp_path / "export.json"
    exported = await asyncio.to_thread(samtal, running_stack, "export", code, "--out", str(out))
    assert exported.returncode == 0, exported.stderr
    data = json.loads(out.read_text())
    assert data["participant_code"] == code
    assert data["records"]["participant"][0]["consent_version"] == "v2"
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    # Never over an existing file, and never through a symlink to another file.
    again = await asyncio.to_thread(samtal, running_stack, "export", code, "--out", str(out))
    assert again.returncode == 1 and "already exists" in again.stdout
    assert json.loads(out.read_text()) == data
    elsewhere = tmp_path / "elsewhere.txt"
    elsewhere.write_text("someone else's file\n")
    os.chmod(elsewhere, 0o644)
    link = tmp_path / "link.json"
    link.symlink_to(elsewhere)
    through = await asyncio.to_thread(samtal, running_stack, "export", code, "--out", str(link))
    assert through.returncode == 1
    assert elsewhere.read_text() == "someone else's file\n"

    forgotten = await asyncio.to_thread(samtal, running_stack, "forget", code)
    assert forgotten.returncode == 0, forgotten.stdout + forgotten.stderr
    # The bot redacted what it said and left the room.
    state = await client.client.room_get_state_event(
        room, "m.room.member", running_stack.bot_user_id
    )
    assert isinstance(state, RoomGetStateEventResponse)
    assert state.content["membership"] == "leave"

    vault = open_vault(running_stack)
    try:
        registry = ParticipantRegistry(vault)
        pseudonym = registry.pseudonym_of(str(client.client.user_id))
        assert registry.find(str(client.client.user_id)) is None
        assert list(vault.records_of(pseudonym)) == []
        actions = [entry.action for entry in AuditLog(vault).entries()]
        assert "export" in actions and "deletion" in actions and "consent_change" in actions
    finally:
        vault.close()

    verified = await asyncio.to_thread(samtal, running_stack, "audit", "verify")
    assert verified.returncode == 0, verified.stdout
    assert "intact" in verified.stdout

    # Nothing about them is kept: a new message gets no answer.
    await client.quiet_for(room, 1)
    await client.send(room, "hallå?")
    assert await client.quiet_for(room, 4) == []
    await client.stop()


async def test_unknown_code_is_a_clear_error(running_stack: RunningStack) -> None:
    result = await asyncio.to_thread(samtal, running_stack, "forget", "P-ZZZZZZ")
    assert result.returncode == 2
    assert "no participant with code P-ZZZZZZ" in result.stderr


async def test_enroll_with_a_schedule(running_stack: RunningStack) -> None:
    matrix_id, _ = await running_stack.register("scheduled")
    good = await asyncio.to_thread(
        samtal, running_stack, "enroll", matrix_id, "--lang", "en", "--schedule", "thu,mon@18:00"
    )
    assert good.returncode == 0, good.stderr
    assert "check-ins mon,thu@18:00" in good.stdout
    bad = await asyncio.to_thread(
        samtal, running_stack, "enroll", matrix_id, "--lang", "en", "--schedule", "sometimes"
    )
    assert bad.returncode == 2
    assert "a schedule looks like" in bad.stderr
    not_an_id = await asyncio.to_thread(samtal, running_stack, "enroll", "bob", "--lang", "sv")
    assert not_an_id.returncode == 2
    assert "not a Matrix user id" in not_an_id.stderr


async def test_a_second_gateway_and_a_key_rotation_refuse_beside_the_running_gateway(
    running_stack: RunningStack,
) -> None:
    second = await asyncio.to_thread(samtal, running_stack, "gateway")
    assert second.returncode == 2
    assert "already running" in second.stderr
    kek = running_stack.stack.layout.home / "secrets" / "kek.hex"
    before = kek.read_bytes()
    rotated = await asyncio.to_thread(samtal, running_stack, "keys", "rotate")
    assert rotated.returncode == 1 and "stop samtal first" in rotated.stdout
    assert kek.read_bytes() == before


async def test_a_confirmed_deletion_survives_a_crash_right_after_the_answer(
    running_stack: RunningStack,
) -> None:
    client = await running_stack.new_client("leaver", enroll_language="sv")
    matrix_id = str(client.client.user_id)
    try:
        room = await client.open_chat(running_stack.bot_user_id)
        for text in ("hej", "ja", "radera mina uppgifter"):
            await client.send(room, text)
            await client.replies(room, 1, timeout=30)
            await client.quiet_for(room, 1)
        await client.send(room, "ja")
        heard = " ".join(await client.replies(room, 1, timeout=30))
        assert "raderas" in heard
        # The participant has been told; the gateway dies before it could act.
        await running_stack.stack.kill_gateway()
        await running_stack.stack.start_gateway()
        async with asyncio.timeout(30):
            while True:
                vault = open_vault(running_stack)
                try:
                    gone = ParticipantRegistry(vault).find(matrix_id) is None
                finally:
                    vault.close()
                if gone:
                    break
                await asyncio.sleep(0.5)
    finally:
        await client.stop()
