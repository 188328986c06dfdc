"""A thin aiohttp client for the three Rasa HTTP API calls the audit uses."""

from __future__ import annotations

from typing import Any

import aiohttp


class RasaHttp:
    """Rasa's REST channel, trigger_intent and tracker state, with the token."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str, token: str) -> None:
        self._session = session
        self._base = base_url.rstrip("/")
        self._params = {"token": token}

    async def message(
        self, sender: str, text: str, metadata: dict[str, Any]
    ) -> list[dict[str, Any]]:
        body = {"sender": sender, "message": text, "metadata": metadata}
        payload = await self._post("/webhooks/rest/webhook", body, {})
        return _messages(payload)

    async def trigger(
        self, sender: str, intent: str, entities: dict[str, str] | None
    ) -> list[dict[str, Any]]:
        body = {"name": intent, "entities": entities or {}}
        payload = await self._post(
            f"/conversations/{sender}/trigger_intent", body, {"include_events": "NONE"}
        )
        return _messages(payload.get("messages") if isinstance(payload, dict) else None)

    async def start_session(self, sender: str, metadata: dict[str, Any]) -> None:
        """Start a session the way the gateway does before a check-in.

        The events Rasa's own session start yields (no slots carried over),
        with the metadata in ``session_started_metadata``, appended in one call.
        """
        events = [
            {"event": "action", "name": "action_session_start"},
            {"event": "session_started"},
            {"event": "slot", "name": "session_started_metadata", "value": metadata},
            {"event": "action", "name": "action_listen"},
        ]
        await self._post(f"/conversations/{sender}/tracker/events", events, {})

    async def active_loop(self, sender: str) -> str | None:
        params = {**self._params, "include_events": "NONE"}
        async with self._session.get(
            f"{self._base}/conversations/{sender}/tracker", params=params
        ) as response:
            response.raise_for_status()
            state = await response.json()
        loop = state.get("active_loop") if isinstance(state, dict) else None
        name = loop.get("name") if isinstance(loop, dict) else None
        return name if isinstance(name, str) and name else None

    async def _post(self, path: str, body: Any, params: dict[str, str]) -> Any:
        async with self._session.post(
            self._base + path, json=body, params={**self._params, **params}
        ) as response:
            response.raise_for_status()
            return await response.json()


def _messages(payload: Any) -> list[dict[str, Any]]:
    if not isinstance(payload, list):
        return []
    return [m for m in payload if isinstance(m, dict)]
