"""The stack the tests run is `make run`'s: Synapse's default limits, the bot exempted."""

from __future__ import annotations

import asyncio
import secrets
import stat

import aiohttp
import pytest

from bot.launcher.homeserver import is_admin, ratelimit_override, register_user, token_works
from bot.launcher.stack import LAUNCHER_ADMIN_FILES
from bot.transports.matrix.chat_client import ChatClient
from tests.conftest import RunningStack

pytestmark = pytest.mark.integration

# Seven participants greet, consent and ask for help at once: 21 answers of one message
# each, twice Synapse's default burst of 10.
AT_ONCE = 7
SAID = ("hej", "ja", "hjälp")


def _admin_token(running_stack: RunningStack) -> str:
    token = running_stack.stack.layout.stored_secret(LAUNCHER_ADMIN_FILES["token"])
    assert token is not None
    return token


async def test_the_bot_is_exempted_but_not_an_admin(running_stack: RunningStack) -> None:
    url = running_stack.stack.homeserver_url
    token = _admin_token(running_stack)
    bot = running_stack.bot_user_id
    assert await ratelimit_override(url, token, bot) == {
        "messages_per_second": 0,
        "burst_count": 0,
    }
    assert not await is_admin(url, token, bot)


async def test_an_ordinary_account_meets_synapse_default_limits(
    running_stack: RunningStack,
) -> None:
    url = running_stack.stack.homeserver_url
    user = await register_user(
        url,
        running_stack.shared_secret,
        f"limited-{secrets.token_hex(4)}",
        secrets.token_urlsafe(16),
    )
    assert await ratelimit_override(url, _admin_token(running_stack), user.user_id) == {}
    api = f"{url}/_matrix/client/v3"
    headers = {"Authorization": f"Bearer {user.access_token}"}
    async with aiohttp.ClientSession(headers=headers) as session:
        async with session.post(f"{api}/createRoom", json={}) as response:
            assert response.status == 200, await response.text()
            room_id = (await response.json())["room_id"]

        async def send(txn: int) -> tuple[int, str]:
            path = f"{api}/rooms/{room_id}/send/m.room.message/t{txn}"
            async with session.put(path, json={"msgtype": "m.text", "body": "x"}) as response:
                body = await response.json()
                return response.status, str(body.get("errcode", ""))

        answers = await asyncio.gather(*(send(txn) for txn in range(15)))
    assert (429, "M_LIMIT_EXCEEDED") in answers
    assert sum(status == 200 for status, _ in answers) <= 11


async def test_the_bot_answers_bursts_without_being_rate_limited(
    running_stack: RunningStack,
) -> None:
    clients = [
        await running_stack.new_client("burst", enroll_language="sv") for _ in range(AT_ONCE)
    ]
    try:
        rooms = [await client.open_chat(running_stack.bot_user_id) for client in clients]
        offset = running_stack.gateway_log.stat().st_size

        async def talk(client: ChatClient, room: str) -> None:
            for text in SAID:
                await client.send(room, text)
                await client.replies(room, 1, timeout=30)  # a TimeoutError fails the test

        # Held to rc_message, the 21 answers would need ~55 s; exempted, a few seconds.
        await asyncio.gather(*(talk(c, room) for c, room in zip(clients, rooms, strict=True)))
        assert running_stack.gateway_events("rate_limited", offset) == []
    finally:
        for client in clients:
            await client.stop()


async def test_every_start_exempts_the_bot_again_with_or_without_a_stored_token(
    running_stack: RunningStack,
) -> None:
    stack = running_stack.stack
    url = stack.homeserver_url
    token_file = LAUNCHER_ADMIN_FILES["token"]
    # A second start: the admin exists and its stored token still works.
    await stack.ensure_launcher_admin(running_stack.shared_secret)
    assert stack.layout.stored_secret(token_file) == _admin_token(running_stack)
    await stack.exempt_from_rate_limits(running_stack.bot_user_id)
    # A start after the stored token was lost or revoked logs the admin in again.
    stack.layout.write_secret(token_file, "no-longer-valid")
    await stack.ensure_launcher_admin(running_stack.shared_secret)
    fresh = _admin_token(running_stack)
    assert fresh != "no-longer-valid"
    assert await token_works(url, fresh)
    await stack.exempt_from_rate_limits(running_stack.bot_user_id)
    assert await ratelimit_override(url, fresh, running_stack.bot_user_id) == {
        "messages_per_second": 0,
        "burst_count": 0,
    }
    assert stat.S_IMODE((stack.layout.secrets / token_file).stat().st_mode) == 0o600
