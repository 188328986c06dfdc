"""Messages that arrived before their room key: wait, ask, retry.

An undecryptable event is kept (its ciphertext, sealed in the vault) so a
restart does not lose it. The room key is requested from the sender's devices
and decryption is retried after every sync until it works or the event expires.
An expired event is counted and handed back, so its sender can be asked to send
it again: nothing a participant wrote disappears without them knowing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from nio import AsyncClient, BadEvent, EncryptionError, Event, LocalProtocolError, MegolmEvent

from bot import logs
from bot.core.model import Lost
from safety.vault import Vault
from safety.vault.store import SYSTEM_OWNER

_KIND = "undecryptable"
MAX_WAIT_SECONDS = 6 * 3600


@dataclass
class Retried:
    ready: list[tuple[str, Event | BadEvent]] = field(default_factory=list)
    lost: list[Lost] = field(default_factory=list)


class UndecryptableQueue:
    def __init__(
        self, client: AsyncClient, vault: Vault, max_wait_seconds: float = MAX_WAIT_SECONDS
    ) -> None:
        self._client = client
        self._vault = vault
        self._max_wait = max_wait_seconds
        self.lost_total = 0  # since this process started; each loss is also logged

    async def add(self, event: MegolmEvent) -> None:
        self.keep(event)
        try:
            await self._client.request_room_key(event)
        except LocalProtocolError:
            pass  # already requested for this session

    def keep(self, event: MegolmEvent, now: float | None = None) -> None:
        """Seal the ciphertext away until its key arrives or the wait is over. A
        replayed batch keeps the first time seen, so the wait has an end."""
        earlier = self._vault.get(_KIND, SYSTEM_OWNER, event.event_id)
        first_seen = time.time() if now is None else now
        if earlier is not None:
            first_seen = float(earlier["first_seen"])
        self._vault.put(
            _KIND,
            SYSTEM_OWNER,
            event.event_id,
            {"source": event.source, "room_id": event.room_id, "first_seen": first_seen},
        )
        logs.event("message_undecryptable", waiting=True)

    def retry(self, now: float | None = None) -> Retried:
        """Every event that now decrypts (with its room id), and every one given up on."""
        now = time.time() if now is None else now
        result = Retried()
        for _, record in list(self._vault.items(_KIND, SYSTEM_OWNER)):
            source = record["source"]
            event_id = str(source.get("event_id", ""))
            decrypted = self._try(record)
            if isinstance(decrypted, (Event, BadEvent)) and not isinstance(decrypted, MegolmEvent):
                # Kept until ``taken``: if intake fails, the next batch tries it again.
                result.ready.append((record["room_id"], decrypted))
                logs.event("message_decrypted_late")
            elif now - float(record["first_seen"]) > self._max_wait:
                self._vault.delete(_KIND, SYSTEM_OWNER, event_id)
                self.lost_total += 1
                result.lost.append(
                    Lost(str(record["room_id"]), str(source.get("sender", "")), event_id)
                )
                logs.warning("message_undecryptable_lost", lost_total=self.lost_total)
        return result

    def taken(self, event_ids: list[str]) -> None:
        """Late-decrypted events that intake has taken in: their ciphertext can go."""
        for event_id in event_ids:
            self._vault.delete(_KIND, SYSTEM_OWNER, event_id)

    def _try(self, record: dict[str, Any]) -> Any | None:
        event = MegolmEvent.from_dict(record["source"])
        if not isinstance(event, MegolmEvent):
            return None
        event.room_id = record["room_id"]
        try:
            return self._client.decrypt_event(event)
        except EncryptionError:
            return None
