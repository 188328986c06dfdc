"""Rasa's REST channel over loopback, with the server's auth token.

Only pseudonyms cross this boundary. Errors become :class:`RasaUnavailable`, so
the gateway can keep safety work going when the dialogue is down.
"""

from __future__ import annotations

import asyncio
import time
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
        # What the last call or probe showed (for the health endpoint), and when
        # (time.monotonic()); None until the first one.
        self.reachable: bool | None = None
        self.checked_at: float | None = None

    def _note(self, reachable: bool) -> None:
        self.reachable = reachable
        self.checked_at = time.monotonic()

    async def probe(self, timeout_seconds: float = 3.0) -> bool:
        """Whether Rasa's root answers (no token, no conversation touched)."""
        try:
            async with self._http().get(
                self._base_url + "/", timeout=aiohttp.ClientTimeout(total=timeout_seconds)
            ) as response:
                self._note(response.status == 200)
        except (aiohttp.ClientError, asyncio.TimeoutError):
            self._note(False)
        return bool(self.reachable)

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
        self,
        sender: ParticipantId,
        text: str,
        metadata: Mapping[str, Any],
        message_id: str | None = None,
    ) -> list[dict[str, Any]]:
        """One turn. With ``message_id`` (the Matrix event id), sending the same message
        again returns the first answer instead of running the turn twice."""
        body: dict[str, Any] = {"sender": sender, "message": text, "metadata": dict(metadata)}
        if message_id is not None:
            body["message_id"] = message_id
        return await self._post_list("/webhooks/rest/webhook", body)

    async def post_json(self, path: str, body: Mapping[str, Any] | list[Mapping[str, Any]]) -> Any:
        """POST one JSON document (an object, or a list of tracker events)."""
        document = [dict(item) for item in body] if isinstance(body, list) else dict(body)
        return await self._call("POST", path, {}, document)

    async def get_json(self, path: str, params: Mapping[str, str]) -> Any:
        return await self._call("GET", path, params, None)

    async def _call(self, method: str, path: str, params: Mapping[str, str], document: Any) -> Any:
        """One request with the token; any failure becomes RasaUnavailable, naming
        the status or the error's class only."""
        try:
            async with self._http().request(
                method,
                self._base_url + path,
                json=document,
                params={**params, "token": self._token},
            ) as response:
                if response.status != 200:
                    self._note(False)
                    raise RasaUnavailable(f"rasa answered HTTP {response.status}")
                payload = await response.json()
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
            self._note(False)
            raise RasaUnavailable(f"rasa unreachable: {type(exc).__name__}") from exc
        self._note(True)
        return payload

    async def _post_list(self, path: str, body: dict[str, Any]) -> list[dict[str, Any]]:
        payload = await self.post_json(path, body)
        if not isinstance(payload, list) or not all(isinstance(m, dict) for m in payload):
            raise RasaUnavailable("rasa answered with an unexpected shape")
        return payload


class RasaControl:
    """The conversation endpoints: trigger an intent, pause and resume the bot."""

    def __init__(self, client: RasaClient) -> None:
        self._client = client

    async def trigger_intent(
        self, sender: ParticipantId, name: str, entities: Mapping[str, Any]
    ) -> list[dict[str, Any]]:
        body = {"name": name, "entities": dict(entities)}
        payload = await self._client.post_json(f"/conversations/{sender}/trigger_intent", body)
        messages = payload.get("messages", []) if isinstance(payload, dict) else []
        if not isinstance(messages, list):
            raise RasaUnavailable("rasa answered with an unexpected shape")
        return [m for m in messages if isinstance(m, dict)]

    async def set_paused(self, sender: ParticipantId, paused: bool) -> None:
        event = {"event": "pause" if paused else "resume"}
        await self._client.post_json(f"/conversations/{sender}/tracker/events", event)

    async def start_session(self, sender: ParticipantId, metadata: Mapping[str, Any]) -> None:
        """Begin a new Rasa conversation session; every check-in starts with one.

        Appends, in one request and so under Rasa's conversation lock, what Rasa's
        own ``action_session_start`` yields with ``carry_over_slots_to_new_session:
        false``, plus ``metadata`` in Rasa's ``session_started_metadata`` slot.
        Rasa then loads only this session per turn, so a turn's cost stops growing
        with the participant's history, and the encrypted tracker store seals the
        previous session as one record. No NLU, policy or action runs, so nothing
        in the old session (an active check-in form) is touched. A session start
        also ends a pause, so do not call this during a human handoff.
        """
        events: list[Mapping[str, Any]] = [
            {"event": "action", "name": "action_session_start"},
            {"event": "session_started"},
            {"event": "slot", "name": "session_started_metadata", "value": dict(metadata)},
            {"event": "action", "name": "action_listen"},
        ]
        await self._client.post_json(f"/conversations/{sender}/tracker/events", events)

    async def active_loop(self, sender: ParticipantId) -> str | None:
        """The form running in the conversation, if any (the tracker without events)."""
        state = await self._client.get_json(
            f"/conversations/{sender}/tracker", {"include_events": "NONE"}
        )
        loop = state.get("active_loop") if isinstance(state, dict) else None
        name = loop.get("name") if isinstance(loop, dict) else None
        return name if isinstance(name, str) and name else None
