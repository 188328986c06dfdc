"""The audit chain's head is published to the staff room, and verifies against the vault."""

from __future__ import annotations

import asyncio

import pytest

from tests.conftest import RunningStack, Staff
from tests.integration.test_escalation import page_for
from tests.support.cli import run_samtal

pytestmark = pytest.mark.integration


async def test_published_head_verifies(running_stack: RunningStack, staff: Staff) -> None:
    # A restart publishes the head at once (then hourly).
    await running_stack.stack.stop_gateway()
    await running_stack.stack.start_gateway()
    notice = await page_for(staff.supervisor, staff.room_id, "🧾 audit head", timeout=30)
    head = notice.split("audit head ", 1)[1]
    result = await asyncio.to_thread(
        run_samtal, running_stack.stack.layout.home, "audit", "verify", "--head", head, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "intact" in result.stdout
