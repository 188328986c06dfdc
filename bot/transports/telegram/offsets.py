"""Where the long poll resumes: the next ``update_id`` to ask Telegram for.

Telegram forgets an update once a later ``getUpdates`` names an offset above it,
so the offset is saved only after the batch's handler returned: a crash before
that re-delivers the batch (the turn ledger drops what was already answered),
and a crash after it re-handles nothing. It is kept sealed in the vault like the
rest of the gateway's own state.
"""

from __future__ import annotations

from safety.vault import Vault
from safety.vault.store import SYSTEM_OWNER

KIND = "telegram_offset"
_KEY = "getUpdates"


class OffsetStore:
    def __init__(self, vault: Vault) -> None:
        self._vault = vault

    def load(self) -> int | None:
        """The saved offset; None before the first batch was handled."""
        record = self._vault.get(KIND, SYSTEM_OWNER, _KEY)
        if not isinstance(record, dict):
            return None
        value = record.get("offset")
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    def save(self, offset: int) -> None:
        """Remember ``offset``; never moves back (an older batch handled late must not
        bring back updates after it)."""
        current = self.load()
        if current is not None and offset <= current:
            return
        self._vault.put(KIND, SYSTEM_OWNER, _KEY, {"offset": offset})
