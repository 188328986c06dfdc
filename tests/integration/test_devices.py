"""Trust on first use: a participant's second device is trusted, and staff are told."""

from __future__ import annotations

import secrets

import pytest

from bot.transports.matrix.chat_client import ChatClient
from tests.conftest import RunningStack, Staff
from tests.integration.test_escalation import page_for

pytestmark = pytest.mark.integration


async def test_new_device_is_reported_to_staff(running_stack: RunningStack, staff: Staff) -> None:
    matrix_id, password = await running_stack.register("twodevices")
    await running_stack.stack.enroll(matrix_id, "sv", None)
    first = ChatClient(
        running_stack.stack.homeserver_url,
        matrix_id,
        running_stack.device_root / f"{matrix_id[1:12]}-a",
        secrets.token_urlsafe(32),
    )
    await first.login(password)
    await first.start()
    room = await first.open_chat(running_stack.bot_user_id)
    await first.send(room, "hej")
    await first.replies(room, 1, timeout=30)
    code = running_stack.participant_code(matrix_id)

    second = ChatClient(
        running_stack.stack.homeserver_url,
        matrix_id,
        running_stack.device_root / f"{matrix_id[1:12]}-b",
        secrets.token_urlsafe(32),
    )
    await second.login(password, device_name="another phone")
    await second.start()
    try:
        await first.send(room, "hej igen")
        await first.replies(room, 1, timeout=30)
        notice = await page_for(staff.on_call, staff.desk(staff.on_call), f"🔑 {code}")
        assert "new device" in notice
        assert matrix_id not in notice
    finally:
        await first.stop()
        await second.stop()
