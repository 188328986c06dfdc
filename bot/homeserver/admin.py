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

from bot.homeserver.errors import AdminApiError, UserExists

__all__ = ["RegisteredUser", "override_ratelimit", "register_user"]

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
    ``messages_per_second = 0`` and ``burst_count = 0``, which Synapse treats as
    unlimited. Needs an admin's access token.
    """
    url = (
        base_url.rstrip("/")
        + f"/_synapse/admin/v1/users/{quote(user_id, safe='')}/override_ratelimit"
    )
    headers = {"Authorization": f"Bearer {admin_token}"}
    async with aiohttp.ClientSession(timeout=_TIMEOUT) as session:
        async with session.post(
            url, json={"messages_per_second": 0, "burst_count": 0}, headers=headers
        ) as response:
            await _json_or_raise(response)


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
