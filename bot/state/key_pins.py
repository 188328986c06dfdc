"""Pinned master keys, sealed in the vault.

A participant's pin is theirs: it is kept under their pseudonym and goes when
their data is shredded. Pins of everyone else (staff) are the gateway's own.
"""

from __future__ import annotations

from collections.abc import Iterator

from bot.core.device_trust import Pin
from bot.state.participants import ParticipantRegistry
from safety.vault import Vault
from safety.vault.store import SYSTEM_OWNER

_KIND = "key_pin"


class KeyPins:
    def __init__(self, vault: Vault, registry: ParticipantRegistry) -> None:
        self._vault = vault
        self._registry = registry

    def _owner_of(self, user_id: str) -> str:
        participant = self._registry.find(user_id)
        return SYSTEM_OWNER if participant is None else participant.pseudonym

    def get(self, user_id: str) -> Pin | None:
        record = self._vault.get(_KIND, self._owner_of(user_id), user_id)
        return None if record is None else Pin(record["master"], record.get("pending"))

    def save(self, user_id: str, pin: Pin) -> None:
        self._vault.put(
            _KIND,
            self._owner_of(user_id),
            user_id,
            {"user_id": user_id, "master": pin.master, "pending": pin.pending},
        )

    def pending(self) -> Iterator[tuple[str, Pin]]:
        """Every user whose new master key awaits staff."""
        for _, record in self._vault.items(_KIND):
            if record.get("pending") is not None:
                yield record["user_id"], Pin(record["master"], record["pending"])

    def forget(self, user_id: str) -> None:
        self._vault.delete(_KIND, self._owner_of(user_id), user_id)
