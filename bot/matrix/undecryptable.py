"""Messages that arrived before their room key: wait, ask, retry.

An undecryptable event is kept (its ciphertext, sealed in the vault) so a
restart does not lose it. The room key is requested from the sender's devices
and decryption is retried after every sync until it works or the event expires.
"""

from __future__ import annotations

import time
from typing import Any

from nio import AsyncClient, EncryptionError, LocalProtocolError, MegolmEvent, RoomMessageText

from bot import logs
from safety.vault import Vault
from safety.vault.store import SYSTEM_OWNER

_KIND = "undecryptable"
MAX_WAIT_SECONDS = 6 * 3600


class UndecryptableQueue:
    def __init__(self, client: AsyncClient, vault: Vault) -> None:
        self._client = client
        self._vault = vault

    async def add(self, event: MegolmEvent) -> None:
        self._vault.put(
            _KIND,
            SYSTEM_OWNER,
            event.event_id,
            {"source": event.source, "room_id": event.room_id, "first_seen": time.time()},
        )
        logs.event("message_undecryptable", waiting=True)
        try:
            await self._client.request_room_key(event)
        except LocalProtocolError:
            pass  # already requested for this session

    def retry(self, now: float | None = None) -> list[tuple[str, RoomMessageText]]:
        """Return (room id, message) for every event that now decrypts."""
        now = time.time() if now is None else now
        ready: list[tuple[str, RoomMessageText]] = []
        for _, record in list(self._vault.items(_KIND, SYSTEM_OWNER)):
            event_id = str(record["source"].get("event_id", ""))
            decrypted = self._try(record)
            if decrypted is not None:
                self._vault.delete(_KIND, SYSTEM_OWNER, event_id)
                if isinstance(decrypted, RoomMessageText):
                    ready.append((record["room_id"], decrypted))
                    logs.event("message_decrypted_late")
            elif now - float(record["first_seen"]) > MAX_WAIT_SECONDS:
                self._vault.delete(_KIND, SYSTEM_OWNER, event_id)
                logs.warning("message_undecryptable_expired")
        return ready

    def _try(self, record: dict[str, Any]) -> Any | None:
        event = MegolmEvent.from_dict(record["source"])
        if not isinstance(event, MegolmEvent):
            return None
        event.room_id = record["room_id"]
        try:
            return self._client.decrypt_event(event)
        except EncryptionError:
            return None
