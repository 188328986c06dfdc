"""Where a participant's content was shown in desks, so it leaves with their data.

A check-in summary or an ``!answers`` reply quotes what the participant wrote.
Each one's place is kept among the participant's own sealed records; before
their data is shredded the messages are redacted (the homeserver drops their
content), and the list goes with the shred.
"""

from __future__ import annotations

from bot import logs
from bot.transports.port import Outbox
from safety.errors import StoreError
from safety.vault import Vault

_KIND = "shown_in_desk"


class ShownContent:
    def __init__(self, vault: Vault, sender: Outbox) -> None:
        self._vault = vault
        self._sender = sender

    def shown(self, pseudonym: str, room_id: str, event_id: str) -> None:
        self._vault.put(_KIND, pseudonym, event_id, {"room_id": room_id, "event_id": event_id})

    async def remove(self, pseudonym: str) -> None:
        """Redact every desk message that showed the participant's content. A failure
        is logged and the shred goes ahead: the vault is what samtal controls."""
        removed = 0

        def report(exc: StoreError) -> None:
            # Left in place and shredded with the rest; the other places still go.
            logs.warning("desk_content_unreadable", error=type(exc).__name__)

        for _, place in list(self._vault.items(_KIND, pseudonym, unreadable=report)):
            try:
                await self._sender.redact(
                    str(place["room_id"]), str(place["event_id"]), "participant data deleted"
                )
                removed += 1
            except Exception as exc:
                logs.warning("desk_content_redaction_failed", error=type(exc).__name__)
        logs.event("desk_content_redacted", participant=pseudonym, redacted=removed)
