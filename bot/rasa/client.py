"""Rasa's REST channel over loopback, with the server's auth token.

Only pseudonyms cross this boundary. Errors become :class:`RasaUnavailable`, so
the gateway can keep safety work going when the dialogue is down.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import aiohttp

from bot.errors import RasaUnavailable
from bot.ids import ParticipantId


class RasaClient:
    def __init__(self, base_url: str, token: str, timeout_seconds: float) -> None:
        self._base_url = base_url
        self._token = token
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> RasaClient:
        self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session

    async def message(
        self, sender: ParticipantId, text: str, metadata: Mapping[str, Any]
    ) -> list[dict[str, Any]]:
        body = {"sender": sender, "message": text, "metadata": dict(metadata)}
        return await self._post_list("/webhooks/rest/webhook", body)

    async def _post_list(self, path: str, body: dict[str, Any]) -> list[dict[str, Any]]:
        try:
            async with self._http().post(
                self._base_url + path, json=body, params={"token": self._token}
            ) as response:
                if response.status != 200:
                    raise RasaUnavailable(f"rasa answered HTTP {response.status}")
                payload = await response.json()
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
            raise RasaUnavailable(f"rasa unreachable: {type(exc).__name__}") from exc
        if not isinstance(payload, list) or not all(isinstance(m, dict) for m in payload):
            raise RasaUnavailable("rasa answered with an unexpected shape")
        return payload
