"""The bot's identity as any other client sees it: cross-signed, and stable over restarts."""

from __future__ import annotations

import base64
import json
import secrets
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from bot.core.cross_signing import Seeds, public_key
from bot.state.gateway_state import GatewayState
from bot.transports.matrix.chat_client import ChatClient
from bot.transports.matrix.identity import ensure_identity
from bot.transports.matrix.keys_api import KeysApi
from safety.vault import Vault, load_or_create_key_file
from tests.conftest import RunningStack

pytestmark = pytest.mark.integration


def _b64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4))


def assert_signed(obj: dict[str, Any], user_id: str, key: str) -> None:
    """Check a signature the way the spec defines it, with nothing of the bot's code."""
    signature = obj["signatures"][user_id][f"ed25519:{key}"]
    stripped = {k: v for k, v in obj.items() if k not in ("signatures", "unsigned")}
    message = json.dumps(stripped, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    # Raises InvalidSignature if the signature does not hold.
    Ed25519PublicKey.from_public_bytes(_b64(key)).verify(_b64(signature), message.encode())


def only_key(obj: dict[str, Any]) -> str:
    (key,) = obj["keys"].values()
    return str(key)


async def query_keys(stack: RunningStack, user_id: str) -> dict[str, Any]:
    """/keys/query for ``user_id``, as a freshly registered client."""
    observer, password = await stack.register("observer")
    base = stack.stack.homeserver_url
    async with aiohttp.ClientSession() as http:
        login = {
            "type": "m.login.password",
            "identifier": {"type": "m.id.user", "user": observer},
            "password": password,
        }
        async with http.post(f"{base}/_matrix/client/v3/login", json=login) as response:
            token = (await response.json())["access_token"]
        async with http.post(
            f"{base}/_matrix/client/v3/keys/query",
            json={"device_keys": {user_id: []}},
            headers={"Authorization": f"Bearer {token}"},
        ) as response:
            assert response.status == 200
            return dict(await response.json())


def check_identity(keys: dict[str, Any], bot: str) -> tuple[str, set[str]]:
    """The bot's master key and its devices, once every signature is checked."""
    master = only_key(keys["master_keys"][bot])
    assert keys["master_keys"][bot]["usage"] == ["master"]
    self_signing = keys["self_signing_keys"][bot]
    assert self_signing["usage"] == ["self_signing"]
    assert_signed(self_signing, bot, master)
    devices = keys["device_keys"][bot]
    assert devices, "the bot has a published device"
    for device in devices.values():
        assert_signed(device, bot, only_key(self_signing))
    return master, set(devices)


async def test_bot_device_is_signed_by_its_owner_and_keeps_its_identity(
    running_stack: RunningStack,
) -> None:
    bot = running_stack.bot_user_id
    master, devices = check_identity(await query_keys(running_stack, bot), bot)

    offset = running_stack.gateway_log.stat().st_size
    await running_stack.stack.stop_gateway()
    await running_stack.stack.start_gateway()

    master_after, devices_after = check_identity(await query_keys(running_stack, bot), bot)
    assert master_after == master
    assert devices_after == devices
    # The restart used the sealed identity: nothing was published or signed again.
    assert running_stack.gateway_events("cross_signing_device_already_signed", offset)
    assert not running_stack.gateway_events("cross_signing_published", offset)
    assert not running_stack.gateway_events("cross_signing_device_signed", offset)


def fresh_vault(path: Path) -> Vault:
    path.mkdir()
    return Vault(path / "vault.db", load_or_create_key_file(path / "kek.hex", create=True))


async def logged_in(stack: RunningStack, matrix_id: str, password: str, path: Path) -> ChatClient:
    client = ChatClient(stack.stack.homeserver_url, matrix_id, path, secrets.token_urlsafe(32))
    await client.login(password)
    return client


async def test_a_new_login_is_signed_and_a_foreign_identity_is_left_alone(
    running_stack: RunningStack, tmp_path: Path
) -> None:
    """The bootstrap against the real homeserver, for an account of its own."""
    matrix_id, password = await running_stack.register("identity")
    vaults = [fresh_vault(tmp_path / name) for name in ("vault", "empty", "other")]
    state, empty, other = (GatewayState(vault) for vault in vaults)
    first = await logged_in(running_stack, matrix_id, password, tmp_path / "first")
    second = await logged_in(running_stack, matrix_id, password, tmp_path / "second")
    try:
        seeds = await ensure_identity(first.client, KeysApi(first.client), state, lambda: password)
        assert seeds is not None
        assert state.cross_signing_seeds() == seeds
        # A new login of the same account: same identity, the new device signed.
        again = await ensure_identity(
            second.client, KeysApi(second.client), state, lambda: password
        )
        assert again == seeds
        master, devices = check_identity(await query_keys(running_stack, matrix_id), matrix_id)
        assert master == public_key(seeds.master)
        assert devices == {first.client.device_id, second.client.device_id}

        # A vault without this identity, or with another one, never replaces it.
        assert (
            await ensure_identity(second.client, KeysApi(second.client), empty, lambda: password)
            is None
        )
        assert empty.cross_signing_seeds() is None
        other.save_cross_signing_seeds(Seeds.generate())
        assert (
            await ensure_identity(second.client, KeysApi(second.client), other, lambda: password)
            is None
        )
        still, _ = check_identity(await query_keys(running_stack, matrix_id), matrix_id)
        assert still == master
    finally:
        await first.client.close()
        await second.client.close()
        for vault in vaults:
            vault.close()
