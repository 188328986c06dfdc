"""The key endpoints nio does not cover: cross-signing keys and their signatures.

nio parses ``/keys/query`` without the cross-signing keys and has no call for
uploading them, so these requests go out raw, on nio's own HTTP session and
with the bot's access token.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from nio import AsyncClient

from bot.errors import MatrixCallError

_KEYS = "/_matrix/client/v3/keys"


class KeysApi:
    def __init__(self, client: AsyncClient) -> None:
        self._client = client

    async def _call(self, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        headers = {
            "Content-Type": "application/json",
            "Authorization": f"Bearer {self._client.access_token}",
        }
        response = await self._client.send("POST", f"{_KEYS}/{path}", json.dumps(body), headers)
        try:
            payload = await response.json(content_type=None)
        except ValueError:
            payload = None
        finally:
            response.release()
        return response.status, payload if isinstance(payload, dict) else {}

    async def query(self, user_ids: Iterable[str]) -> dict[str, Any]:
        """The raw ``/keys/query`` answer: devices and cross-signing keys."""
        status, payload = await self._call(
            "query", {"device_keys": {user: [] for user in user_ids}}
        )
        _raise_unless_ok("keys_query_raw", status, payload)
        return payload

    async def upload_signing_keys(self, body: dict[str, Any], password: Callable[[], str]) -> None:
        """Publish cross-signing keys, answering user-interactive auth with the password.

        Synapse takes a first upload without auth; a replacement, or another
        homeserver, answers 401 with a session to continue with the password.
        """
        status, payload = await self._call("device_signing/upload", body)
        if status == 401 and "session" in payload:
            auth = {
                "type": "m.login.password",
                "identifier": {"type": "m.id.user", "user": self._client.user_id},
                "password": password(),
                "session": payload["session"],
            }
            status, payload = await self._call("device_signing/upload", {**body, "auth": auth})
        _raise_unless_ok("device_signing_upload", status, payload)

    async def upload_signatures(self, body: dict[str, Any]) -> None:
        status, payload = await self._call("signatures/upload", body)
        _raise_unless_ok("signatures_upload", status, payload)
        if payload.get("failures"):
            # Failures name users and devices; only their count goes out.
            raise MatrixCallError("signatures_upload", "failures", str(len(payload["failures"])))


def _raise_unless_ok(call: str, status: int, payload: dict[str, Any]) -> None:
    if status != 200:
        raise MatrixCallError(call, str(payload.get("errcode") or status), "")
