"""Shared-secret registration and other Synapse admin API calls (aiohttp).

Passwords, access tokens and the shared secret are never logged nor put into an
exception message; errors carry only the HTTP status, ``errcode`` and Synapse's text.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import aiohttp

from bot.launcher.homeserver.errors import AdminApiError, UserExists

__all__ = [
    "RegisteredUser",
    "is_admin",
    "log_in",
    "override_ratelimit",
    "ratelimit_override",
    "register_user",
    "token_works",
]

_TIMEOUT = aiohttp.ClientTimeout(total=30)
_REGISTER_PATH = "/_synapse/admin/v1/register"


@dataclass(frozen=True)
class RegisteredUser:
    user_id: str
    access_token: str = field(repr=False)
    device_id: str


def registration_mac(
    shared_secret: str, nonce: str, localpart: str, password: str, *, admin: bool
) -> str:
    """HMAC-SHA1 over ``nonce\\0user\\0password\\0admin|notadmin``, hex encoded."""
    mac = hmac.new(shared_secret.encode("utf-8"), digestmod=hashlib.sha1)
    for part in (nonce, localpart, password):
        mac.update(part.encode("utf-8"))
        mac.update(b"\x00")
    mac.update(b"admin" if admin else b"notadmin")
    return mac.hexdigest()


async def register_user(
    base_url: str,
    shared_secret: str,
    localpart: str,
    password: str,
    *,
    admin: bool = False,
) -> RegisteredUser:
    """Register ``localpart`` through ``/_synapse/admin/v1/register``.

    Raises ``UserExists`` when the user id is taken (``M_USER_IN_USE``), so callers can
    log in instead, and ``AdminApiError`` for any other refusal.
    """
    url = base_url.rstrip("/") + _REGISTER_PATH
    async with aiohttp.ClientSession(timeout=_TIMEOUT) as session:
        async with session.get(url) as response:
            nonce_body = await _json_or_raise(response)
        nonce = str(nonce_body["nonce"])
        payload = {
            "nonce": nonce,
            "username": localpart,
            "password": password,
            "admin": admin,
            "mac": registration_mac(shared_secret, nonce, localpart, password, admin=admin),
        }
        async with session.post(url, json=payload) as response:
            body = await _json_or_raise(response)
    return RegisteredUser(
        user_id=str(body["user_id"]),
        access_token=str(body["access_token"]),
        device_id=str(body["device_id"]),
    )


async def override_ratelimit(base_url: str, admin_token: str, user_id: str) -> None:
    """Exempt ``user_id`` (for example the bot) from its per-user rate limits.

    Uses ``POST /_synapse/admin/v1/users/{user_id}/override_ratelimit`` with
    ``messages_per_second = 0`` and ``burst_count = 0``. Synapse reads a zero rate in
    that table as "not rate limited at all": every limiter that knows the requester
    (messages, joins, invites, room creation, key requests, media, ...) lets the user
    through. Limits keyed by address or room alone (login per IP, joins per room) stay.
    Posting it again is harmless, so it can run on every start.
    """
    headers = {"Authorization": f"Bearer {admin_token}"}
    async with aiohttp.ClientSession(timeout=_TIMEOUT) as session:
        async with session.post(
            _override_url(base_url, user_id),
            json={"messages_per_second": 0, "burst_count": 0},
            headers=headers,
        ) as response:
            await _json_or_raise(response)


async def ratelimit_override(base_url: str, admin_token: str, user_id: str) -> dict[str, int]:
    """The override Synapse holds for ``user_id``; ``{}`` when there is none."""
    headers = {"Authorization": f"Bearer {admin_token}"}
    async with aiohttp.ClientSession(timeout=_TIMEOUT) as session:
        async with session.get(_override_url(base_url, user_id), headers=headers) as response:
            body = await _json_or_raise(response)
    return {str(key): int(value) for key, value in body.items()}


async def is_admin(base_url: str, admin_token: str, user_id: str) -> bool:
    """Whether Synapse counts ``user_id`` as a server admin."""
    url = base_url.rstrip("/") + f"/_synapse/admin/v1/users/{quote(user_id, safe='')}/admin"
    headers = {"Authorization": f"Bearer {admin_token}"}
    async with aiohttp.ClientSession(timeout=_TIMEOUT) as session:
        async with session.get(url, headers=headers) as response:
            body = await _json_or_raise(response)
    return bool(body.get("admin"))


async def log_in(base_url: str, localpart: str, password: str, device_id: str) -> str:
    """Password login; returns the access token. Reusing ``device_id`` keeps one device."""
    url = base_url.rstrip("/") + "/_matrix/client/v3/login"
    payload = {
        "type": "m.login.password",
        "identifier": {"type": "m.id.user", "user": localpart},
        "password": password,
        "device_id": device_id,
    }
    async with aiohttp.ClientSession(timeout=_TIMEOUT) as session:
        async with session.post(url, json=payload) as response:
            body = await _json_or_raise(response)
    return str(body["access_token"])


async def token_works(base_url: str, access_token: str) -> bool:
    """Whether ``access_token`` is still accepted (``/account/whoami``)."""
    url = base_url.rstrip("/") + "/_matrix/client/v3/account/whoami"
    headers = {"Authorization": f"Bearer {access_token}"}
    async with aiohttp.ClientSession(timeout=_TIMEOUT) as session:
        async with session.get(url, headers=headers) as response:
            if response.status == 401:
                return False
            await _json_or_raise(response)
    return True


def _override_url(base_url: str, user_id: str) -> str:
    return (
        base_url.rstrip("/")
        + f"/_synapse/admin/v1/users/{quote(user_id, safe='')}/override_ratelimit"
    )


async def _json_or_raise(response: aiohttp.ClientResponse) -> dict[str, Any]:
    try:
        body: Any = await response.json(content_type=None)
    except (aiohttp.ContentTypeError, ValueError):
        body = None
    if not isinstance(body, dict):
        raise AdminApiError(response.status, "M_UNKNOWN", "non-JSON answer from Synapse")
    if response.status >= 400:
        errcode = str(body.get("errcode", "M_UNKNOWN"))
        error = str(body.get("error", ""))
        if errcode == "M_USER_IN_USE":
            raise UserExists(response.status, errcode, error)
        raise AdminApiError(response.status, errcode, error)
    return body
