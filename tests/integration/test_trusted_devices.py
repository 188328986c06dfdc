"""Device trust with cross-signing: signed devices get keys, unsigned ones wait for staff."""

from __future__ import annotations

import asyncio
import re
import secrets

import pytest

from bot.core.cross_signing import Seeds, device_signature_upload, device_signing_upload
from bot.transports.matrix.chat_client import ChatClient
from bot.transports.matrix.keys_api import KeysApi
from tests.conftest import RunningStack, Staff
from tests.integration.test_escalation import CODE, HIGH_EN, close, page_for, participant

pytestmark = pytest.mark.integration

TRUST_CODE = re.compile(r"!trust (K-[A-Z0-9]{6})")


def bot_notices(client: ChatClient, room_id: str) -> list[str]:
    """What the bot said in ``room_id`` that this device could read."""
    return [
        body
        for got_room, _, body, content in client.received
        if got_room == room_id and content.get("msgtype") == "m.notice"
    ]


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
        # From before the room opens: the bot applies device trust when the room is
        # ready, as it shares the room key ahead of its first answer.
        offset = running_stack.gateway_log.stat().st_size
        room = await phone.open_chat(running_stack.bot_user_id)
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
        # It names a participant, so it goes to the desks responsible for them (no
        # mediator: on-call), not to the team room.
        notice = await page_for(staff.on_call, staff.desk(staff.on_call), f"🔑 {code}", "!trust")
        assert matrix_id not in notice
        assert not [b for r, _, b, _ in staff.on_call.received if r == staff.room_id and code in b]
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
        await staff.on_call.send(staff.desk(staff.on_call), f"!trust {found.group(1)}")
        await page_for(staff.on_call, staff.desk(staff.on_call), f"{found.group(1)} is trusted")
        await phone.send(room, "hej då")
        assert await stranger.replies(room, 1, timeout=30)
    finally:
        for client in clients:
            await client.stop()


async def test_another_device_on_the_bots_own_account_is_withheld(
    running_stack: RunningStack, staff: Staff
) -> None:
    layout = running_stack.stack.layout
    # Before the login: the bot may notice the new device as soon as it is published.
    offset = running_stack.gateway_log.stat().st_size
    intruder = ChatClient(
        running_stack.stack.homeserver_url,
        running_stack.bot_user_id,
        running_stack.device_root / "bot-second-device",
        secrets.token_urlsafe(32),
    )
    await intruder.login(layout.read_secret("bot.password"), device_name="second login")
    # Published, but not syncing: it must not act as the bot.
    await intruder.client.sync(timeout=0)
    await intruder.client.keys_upload()
    participant = await running_stack.new_client("ownaccount", enroll_language="sv")
    try:
        room = await participant.open_chat(running_stack.bot_user_id)
        await participant.send(room, "hej")
        await participant.replies(room, 1, timeout=30)
        notice = await page_for(staff.mediator, staff.room_id, "bot's own account", "!trust")
        assert TRUST_CODE.search(notice)
        withheld = running_stack.gateway_events("device_withheld", offset)
        assert [event["role"] for event in withheld] == ["own"]
    finally:
        await participant.stop()
        await intruder.client.logout()
        await intruder.client.close()


async def test_a_later_staff_device_waits_for_another_staff_member(
    running_stack: RunningStack, staff: Staff
) -> None:
    mediator = str(staff.mediator.client.user_id)
    second = ChatClient(
        running_stack.stack.homeserver_url,
        mediator,
        running_stack.device_root / "mediator-second-device",
        secrets.token_urlsafe(32),
    )
    await second.login(
        running_stack.stack.layout.read_secret("mediator.password"), device_name="new phone"
    )
    await second.start()
    try:
        await staff.supervisor.send(staff.room_id, "!help")
        notice = await page_for(staff.mediator, staff.room_id, mediator, "!trust")
        assert "new device" in notice
        found = TRUST_CODE.search(notice)
        assert found is not None
        await asyncio.sleep(3)
        assert bot_notices(second, staff.room_id) == []

        # Until then, whoever holds the new device cannot silence a page: neither a
        # ✅ nor a typed !ack from it counts.
        client, room, who = await participant(running_stack)
        desk = staff.desk(staff.mediator)
        try:
            offset = running_stack.gateway_log.stat().st_size
            await client.send(room, HIGH_EN)
            page = await page_for(staff.mediator, desk, f"participant {who}")
            code = CODE.search(page)
            assert code is not None
            page_event = staff.mediator.event_id_of(desk, f"participant {who}")
            await second.react(desk, page_event, "✅")
            # A reaction in the clear (as Element Web sends them) names no device, so
            # while the account has a withheld one it counts for nothing either.
            await staff.mediator.send_event(
                desk,
                "m.reaction",
                {"m.relates_to": {"rel_type": "m.annotation", "event_id": page_event, "key": "✅"}},
            )
            await second.send(desk, f"!ack {code.group()}")
            await page_for(staff.mediator, desk, "not confirmed yet")
            await page_for(staff.mediator, desk, "did not count")
            refused = sorted(
                (e["event"], e.get("origin"))
                for e in running_stack.gateway_events_of(
                    {"staff_reaction_refused", "staff_command_refused"}, offset
                )
            )
            assert refused == [
                ("staff_command_refused", "withheld_device"),
                ("staff_reaction_refused", "in_clear"),
                ("staff_reaction_refused", "withheld_device"),
            ]
            acknowledged = running_stack.gateway_events("escalation_acknowledged", offset)
            assert not [e for e in acknowledged if e.get("code") == code.group()]
            await close(staff, page)
        finally:
            await client.stop()

        await staff.mediator.send(staff.room_id, f"!trust {found.group(1)}")
        await page_for(staff.mediator, staff.room_id, "another staff member confirms")
        await staff.supervisor.send(staff.room_id, f"!trust {found.group(1)}")
        await page_for(staff.mediator, staff.room_id, f"{found.group(1)} is trusted")
        await staff.supervisor.send(staff.room_id, "!help")
        await page_for(second, staff.room_id, "Commands:", timeout=30)
    finally:
        await second.stop()


async def test_a_new_identity_waits_for_staff(running_stack: RunningStack, staff: Staff) -> None:
    matrix_id, password = await running_stack.register("reset")
    await running_stack.stack.enroll(matrix_id, "sv", None)
    code = running_stack.participant_code(matrix_id)
    phone = await device(running_stack, matrix_id, password, "phone")
    first = Seeds.generate()
    await KeysApi(phone.client).upload_signing_keys(
        device_signing_upload(matrix_id, first), lambda: password
    )
    await sign_own_device(phone, first)
    clients = [phone]
    try:
        room = await phone.open_chat(running_stack.bot_user_id)
        await phone.send(room, "hej")
        await phone.replies(room, 1, timeout=30)
        await phone.quiet_for(room, 2)

        # The identity is reset: replacing keys needs the password (user-interactive auth).
        second = Seeds.generate()
        await KeysApi(phone.client).upload_signing_keys(
            device_signing_upload(matrix_id, second), lambda: password
        )
        await sign_own_device(phone, second)
        tablet = await device(running_stack, matrix_id, password, "tablet")
        clients.append(tablet)
        await sign_own_device(tablet, second)

        await phone.send(room, "hej igen")
        assert await phone.replies(room, 1, timeout=30)
        notice = await page_for(
            staff.supervisor, staff.desk(staff.supervisor), f"🔑 {code}", "security identity"
        )
        assert matrix_id not in notice
        found = TRUST_CODE.search(notice)
        assert found is not None
        await asyncio.sleep(3)
        assert bot_notices(tablet, room) == []

        await staff.supervisor.send(staff.desk(staff.supervisor), f"!trust {found.group(1)}")
        await page_for(
            staff.supervisor, staff.desk(staff.supervisor), f"{found.group(1)} is trusted"
        )
        await phone.send(room, "tack")
        assert await tablet.replies(room, 1, timeout=30)
    finally:
        for client in clients:
            await client.stop()
