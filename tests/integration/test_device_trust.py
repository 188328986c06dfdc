"""Device trust with cross-signing: signed devices get keys, unsigned ones wait for staff."""

from __future__ import annotations

import re
import secrets

import pytest

from bot.chatclient import ChatClient
from bot.core.cross_signing import Seeds, device_signature_upload, device_signing_upload
from bot.matrix.keys_api import KeysApi
from tests.conftest import RunningStack, Staff
from tests.integration.test_escalation import page_for

pytestmark = pytest.mark.integration

TRUST_CODE = re.compile(r"!trust (K-[A-Z0-9]{6})")


async def device(stack: RunningStack, matrix_id: str, password: str, name: str) -> ChatClient:
    client = ChatClient(
        stack.stack.homeserver_url,
        matrix_id,
        stack.device_root / f"{matrix_id[1:14]}-{name}",
        secrets.token_urlsafe(32),
    )
    await client.login(password, device_name=name)
    await client.start()
    return client


async def sign_own_device(client: ChatClient, seeds: Seeds) -> None:
    """What the participant's phone does when they verify a new login."""
    api = KeysApi(client.client)
    user_id = str(client.client.user_id)
    published = await api.query([user_id])
    keys = published["device_keys"][user_id][client.client.device_id]
    await api.upload_signatures(device_signature_upload(user_id, keys, seeds.self_signing))


async def test_devices_are_trusted_by_their_owners_signature(
    running_stack: RunningStack, staff: Staff
) -> None:
    matrix_id, password = await running_stack.register("signed")
    await running_stack.stack.enroll(matrix_id, "sv", None)
    code = running_stack.participant_code(matrix_id)
    phone = await device(running_stack, matrix_id, password, "phone")
    seeds = Seeds.generate()
    await KeysApi(phone.client).upload_signing_keys(
        device_signing_upload(matrix_id, seeds), lambda: password
    )
    await sign_own_device(phone, seeds)
    clients = [phone]
    try:
        room = await phone.open_chat(running_stack.bot_user_id)
        offset = running_stack.gateway_log.stat().st_size
        await phone.send(room, "hej")
        await phone.replies(room, 1, timeout=30)
        await phone.quiet_for(room, 2)
        trusted = running_stack.gateway_events("device_trusted", offset)
        assert [event["basis"] for event in trusted] == ["owner"]
        assert running_stack.gateway_events("master_key_pinned", offset)

        # A second login the participant has not verified: withheld, staff asked.
        stranger = await device(running_stack, matrix_id, password, "unverified")
        clients.append(stranger)
        await phone.send(room, "hej igen")
        await phone.replies(room, 1, timeout=30)
        notice = await page_for(staff.mediator, staff.room_id, f"🔑 {code}", "!trust")
        assert matrix_id not in notice
        assert "not verified" in notice
        assert await stranger.quiet_for(room, 3) == []
        found = TRUST_CODE.search(notice)
        assert found is not None

        # A login the participant verified from their phone: trusted, nothing to report.
        tablet = await device(running_stack, matrix_id, password, "tablet")
        clients.append(tablet)
        await sign_own_device(tablet, seeds)
        offset = running_stack.gateway_log.stat().st_size
        await phone.send(room, "tack")
        assert await tablet.replies(room, 1, timeout=30)
        assert [e["basis"] for e in running_stack.gateway_events("device_trusted", offset)] == [
            "owner"
        ]

        # The participant cannot vouch for the withheld device; staff can.
        await staff.mediator.send(staff.room_id, f"!trust {found.group(1)}")
        await page_for(staff.mediator, staff.room_id, f"{found.group(1)} is trusted")
        await phone.send(room, "hej då")
        assert await stranger.replies(room, 1, timeout=30)
    finally:
        for client in clients:
            await client.stop()
