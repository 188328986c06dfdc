"""A real Synapse: start, register over the shared-secret API, log in with nio, stop."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import socket
import time
from pathlib import Path
from typing import TYPE_CHECKING

import aiohttp
import nio
import pytest

from bot import logs
from bot.launcher.homeserver import (
    HomeserverStartError,
    SynapseProcess,
    UserExists,
    free_port,
    is_admin,
    override_ratelimit,
    ratelimit_override,
    register_user,
    write_homeserver_config,
)
from bot.transports.matrix.rate_limits import SendGate, watch_rate_limits

if TYPE_CHECKING:
    from tests.support.synapse_fixtures import RunningSynapse

pytest_plugins = ["tests.support.synapse_fixtures"]
pytestmark = pytest.mark.integration


async def test_register_two_users_and_log_in_with_nio(
    synapse_server: RunningSynapse, tmp_path: Path
) -> None:
    print(f"\nsession Synapse started in {synapse_server.start_seconds:.2f} s")
    alice = await synapse_server.new_user("alice")
    bob = await synapse_server.new_user("bob")
    assert alice.user_id == f"@{alice.localpart}:localhost"
    assert bob.user_id != alice.user_id
    assert alice.registered.access_token and alice.registered.device_id
    assert alice.registered.access_token not in repr(alice)

    client = nio.AsyncClient(
        synapse_server.base_url,
        bob.user_id,
        store_path=str(tmp_path),
        config=nio.AsyncClientConfig(pickle_key="test-pickle-key", store_sync_tokens=True),
    )
    try:
        response = await client.login(bob.password, device_name="samtal-test")
        assert isinstance(response, nio.LoginResponse), response
        assert response.user_id == bob.user_id
        whoami = await client.whoami()
        assert isinstance(whoami, nio.WhoamiResponse), whoami
        assert whoami.user_id == bob.user_id
    finally:
        await client.close()


async def test_duplicate_registration_raises_user_exists(synapse_server: RunningSynapse) -> None:
    carol = await synapse_server.new_user("carol")
    with pytest.raises(UserExists) as caught:
        await register_user(
            synapse_server.base_url, synapse_server.shared_secret, carol.localpart, "other-pw"
        )
    assert caught.value.errcode == "M_USER_IN_USE"
    assert carol.localpart not in str(caught.value)


async def test_admin_can_lift_rate_limits_for_the_bot(synapse_server: RunningSynapse) -> None:
    admin = await synapse_server.new_user("admin", admin=True)
    bot = await synapse_server.new_user("bot", rate_limited=True)
    token = admin.registered.access_token
    assert await ratelimit_override(synapse_server.base_url, token, bot.user_id) == {}
    for _ in range(2):  # idempotent: every start posts it again
        await override_ratelimit(synapse_server.base_url, token, bot.user_id)
    exempt = {"messages_per_second": 0, "burst_count": 0}
    assert await ratelimit_override(synapse_server.base_url, token, bot.user_id) == exempt
    assert not await is_admin(synapse_server.base_url, token, bot.user_id)


async def test_logs_hold_no_matrix_ids(synapse_server: RunningSynapse) -> None:
    dave = await synapse_server.new_user("dave")
    headers = {"Authorization": f"Bearer {dave.registered.access_token}"}
    async with aiohttp.ClientSession() as session:
        url = f"{synapse_server.base_url}/_matrix/client/v3/account/whoami"
        async with session.get(url, headers=headers) as response:
            assert response.status == 200
    await asyncio.sleep(0.2)
    for path in synapse_server.layout.data_dir.glob("*"):
        if path.suffix in {".log", ".out"}:
            text = path.read_text(encoding="utf-8", errors="replace")
            assert dave.localpart not in text, path
            assert "dave-" not in text, path


async def test_start_stop_fresh_server_and_report_timing(tmp_path: Path) -> None:
    layout = write_homeserver_config(tmp_path / "hs", port=free_port(), for_tests=True)
    began = time.monotonic()
    async with SynapseProcess(layout) as process:
        started = time.monotonic() - began
        assert process.running
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{process.base_url}/_matrix/client/versions") as response:
                assert response.status == 200
        stop_began = time.monotonic()
    stopped = time.monotonic() - stop_began
    print(f"\nfresh Synapse: start {started:.2f} s, stop {stopped:.2f} s")
    assert not process.running
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", layout.port), 1):
        pass
    # The second start on the same data directory (existing database) is the `make run` case.
    layout = write_homeserver_config(tmp_path / "hs", port=free_port(), for_tests=True)
    began = time.monotonic()
    async with SynapseProcess(layout):
        print(f"restart on existing data: {time.monotonic() - began:.2f} s")


async def test_start_failure_reports_log_tail(tmp_path: Path) -> None:
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        layout = write_homeserver_config(tmp_path / "hs", port=port, for_tests=True)
        process = SynapseProcess(layout)
        with pytest.raises(HomeserverStartError) as caught:
            await process.start(timeout=30)
    assert not process.running
    message = str(caught.value)
    assert "exited with code" in message
    assert "synapse.out" in message


async def _burst(base_url: str, access_token: str, rooms: int, messages: int) -> list[int]:
    """Create ``rooms`` rooms one after another, then send ``messages`` at once into one."""
    headers = {"Authorization": f"Bearer {access_token}"}
    api = f"{base_url}/_matrix/client/v3"
    async with aiohttp.ClientSession(headers=headers) as session:
        room_ids = []
        statuses = []
        for _ in range(rooms):
            async with session.post(f"{api}/createRoom", json={}) as response:
                statuses.append(response.status)
                if response.status == 200:
                    room_ids.append((await response.json())["room_id"])
        assert room_ids, statuses

        async def send(txn: int) -> int:
            url = f"{api}/rooms/{room_ids[0]}/send/m.room.message/t{txn}"
            body = {"msgtype": "m.text", "body": f"burst {txn}"}
            async with session.put(url, json=body) as response:
                return response.status

        statuses += await asyncio.gather(*(send(txn) for txn in range(messages)))
    return statuses


async def test_an_exempted_user_is_not_rate_limited(synapse_server: RunningSynapse) -> None:
    """Defaults allow 10 messages and 10 rooms in a burst; an exempted user may do far more."""
    eve = await synapse_server.new_user("eve")
    statuses = await _burst(synapse_server.base_url, eve.registered.access_token, 15, 60)
    assert statuses == [200] * 75


async def test_the_test_server_keeps_default_rate_limits(synapse_server: RunningSynapse) -> None:
    frank = await synapse_server.new_user("frank", rate_limited=True)
    statuses = await _burst(synapse_server.base_url, frank.registered.access_token, 1, 15)
    assert 429 in statuses
    assert statuses.count(200) <= 11  # rc_message: a burst of 10, then 0.2/s


async def test_under_a_rate_limit_the_page_goes_first_and_nothing_is_lost(
    synapse_server: RunningSynapse, tmp_path: Path
) -> None:
    """A real nio client held to Synapse's default rc_message, behind the gate."""
    grace = await synapse_server.new_user("grace", rate_limited=True)
    client = nio.AsyncClient(
        synapse_server.base_url,
        grace.user_id,
        store_path=str(tmp_path),
        config=nio.AsyncClientConfig(encryption_enabled=False),
    )
    client.restore_login(grace.user_id, grace.registered.device_id, grace.registered.access_token)
    stream = io.StringIO()
    logs.configure(stream)
    gate = SendGate()
    watch_rate_limits(client, gate)
    done: list[str] = []

    async def send(kind: str, *, page: bool) -> None:
        async with gate.turn(page=page):
            content = {"msgtype": "m.notice", "body": kind}
            response = await client.room_send(room_id, "m.room.message", content)
        assert isinstance(response, nio.RoomSendResponse), response
        done.append(kind)

    try:
        created = await client.room_create()
        assert isinstance(created, nio.RoomCreateResponse), created
        room_id = created.room_id
        for n in range(10):  # Synapse's default burst
            await send(f"burst {n}", page=False)
        reply = asyncio.create_task(send("reply", page=False))
        while '"rate_limited"' not in stream.getvalue():  # the reply is refused
            await asyncio.sleep(0.02)
        await send("page", page=True)
        await reply
    finally:
        await client.close()
        logging.getLogger().handlers.clear()
    assert done[10:] == ["page", "reply"]
    records = [json.loads(line) for line in stream.getvalue().splitlines()]
    limited = [r for r in records if r["event"] == "rate_limited"]
    assert limited and all(r["call"] == "room_send" for r in limited)
    assert all(isinstance(r["retry_after_ms"], int) and r["retry_after_ms"] > 0 for r in limited)
    (waited,) = [r for r in records if r["event"] == "page_waited"]
    assert isinstance(waited["wait_ms"], float) and waited["wait_ms"] > 1000
    assert "grace" not in stream.getvalue()
