"""A vault record put back from an older state is found: by the gateway at
start, and by `samtal audit verify`, which names the owner."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from tests.conftest import RunningStack
from tests.support.cli import run_samtal

pytestmark = pytest.mark.integration

OWNER = "p-replayed-record-test"


async def test_a_record_put_back_whole_is_found_at_start_and_by_audit_verify(
    running_stack: RunningStack,
) -> None:
    started = running_stack.gateway_events("vault_records_checked")
    assert started and started[-1]["mismatched"] == 0
    vault = running_stack.open_vault()
    path = running_stack.open_vault_path()
    try:
        vault.put("note", OWNER, "state", "given")
        rkey = vault.index("note", "state")
        db = sqlite3.connect(path)
        where = ("note", OWNER, rkey)
        older = db.execute(
            "SELECT sealed, version FROM records WHERE kind = ? AND owner = ? AND rkey = ?", where
        ).fetchone()
        vault.put("note", OWNER, "state", "withdrawn")
        # Someone with the file puts the older row back whole: copy and version.
        db.execute(
            "UPDATE records SET sealed = ?, version = ? WHERE kind = ? AND owner = ? AND rkey = ?",
            (*older, *where),
        )
        db.commit()
        db.close()
        result = await asyncio.to_thread(
            run_samtal, running_stack.stack.layout.home, "audit", "verify", timeout=60
        )
        assert result.returncode == 1, result.stdout + result.stderr
        assert OWNER in result.stdout
        offset = running_stack.gateway_log.stat().st_size
        await running_stack.stack.stop_gateway()
        await running_stack.stack.start_gateway()
        for _ in range(120):
            if running_stack.gateway_events("vault_records_checked", offset):
                break
            await asyncio.sleep(0.5)
        checked = running_stack.gateway_events("vault_records_checked", offset)
        assert checked and checked[-1]["mismatched"] == 1
        replaced = running_stack.gateway_events("vault_records_replaced", offset)
        assert replaced == [replaced[0]] and replaced[0]["owners"] == 1
        assert OWNER.encode() not in running_stack.gateway_log.read_bytes()[offset:]
    finally:
        vault.shred(OWNER)  # the stack goes on for other tests with nothing replaced
        vault.close()
