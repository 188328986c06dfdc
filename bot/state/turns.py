"""The turn ledger: exactly-once answers across restarts and crashes.

A turn moves ``planned`` (replies computed and stored, encrypted) to
``answered``. After a crash, a planned turn is re-sent with the same
transaction ids, which the homeserver deduplicates; an answered turn is never
handled again.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.model import TurnPlan
from bot.ids import EventId, ParticipantId
from safety.vault import Vault

_KIND = "turn"


@dataclass(frozen=True)
class StoredTurn:
    state: str
    replies: tuple[str, ...]
    effects: tuple[dict[str, object], ...]


class TurnLedger:
    def __init__(self, vault: Vault) -> None:
        self._vault = vault

    def get(self, owner: ParticipantId, event_id: EventId) -> StoredTurn | None:
        record = self._vault.get(_KIND, owner, event_id)
        if record is None:
            return None
        return StoredTurn(
            state=record["state"],
            replies=tuple(record["replies"]),
            effects=tuple(record["effects"]),
        )

    def planned(self, owner: ParticipantId, event_id: EventId, plan: TurnPlan) -> None:
        """Record the replies and effects before any of them is carried out."""
        record = {"state": "planned", "replies": list(plan.replies), "effects": list(plan.effects)}
        self._vault.put(_KIND, owner, event_id, record)

    def answered(self, owner: ParticipantId, event_id: EventId) -> None:
        self._vault.put(_KIND, owner, event_id, {"state": "answered", "replies": [], "effects": []})
