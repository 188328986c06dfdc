"""The turn ledger: a durable inbox that makes answers exactly-once.

A turn moves ``received`` (screened, escalated if needed, stored encrypted
before the sync position moves on) → ``planned`` (replies and effects
computed and stored) → ``answered``. After a crash, received turns are
answered, planned turns are re-sent with the same transaction ids (which the
homeserver deduplicates), and answered turns are never handled again.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from bot.core.model import TurnPlan
from bot.ids import EventId, MatrixUserId, ParticipantId, RoomId
from safety.vault import Vault

_KIND = "turn"
_INBOX = "inbox"

RECEIVED = "received"
PLANNED = "planned"
ANSWERED = "answered"


@dataclass(frozen=True)
class PendingTurn:
    """Everything needed to answer a turn, kept until it is answered."""

    owner: ParticipantId
    event_id: EventId
    sender: MatrixUserId
    room_id: RoomId
    text: str
    timestamp_ms: int
    language: str
    level: str
    categories: tuple[str, ...] = ()  # the screen's signal categories, no text
    kind: str = "text"  # a turn of another kind is answered "I read text only"


@dataclass(frozen=True)
class StoredTurn:
    state: str
    replies: tuple[str, ...] = ()
    effects: tuple[dict[str, object], ...] = ()


class TurnLedger:
    def __init__(self, vault: Vault) -> None:
        self._vault = vault

    def get(self, owner: ParticipantId, event_id: EventId) -> StoredTurn | None:
        record = self._vault.get(_KIND, owner, event_id)
        if record is None:
            return None
        return StoredTurn(
            state=record["state"],
            replies=tuple(record.get("replies", ())),
            effects=tuple(record.get("effects", ())),
        )

    def received(self, turn: PendingTurn) -> None:
        """Persist the turn before the sync position moves past it.

        The inbox entry goes first: killed between the two writes, the turn is
        then either answered from the inbox after the restart or, with no state
        recorded, taken in again from the replayed message. The other order left
        a turn marked received that the replay skipped as handled and no restart
        knew was waiting (found by the kill -9 harness at full size)."""
        self._vault.put(_INBOX, turn.owner, turn.event_id, asdict(turn))
        self._vault.put(_KIND, turn.owner, turn.event_id, {"state": RECEIVED})

    def planned(self, owner: ParticipantId, event_id: EventId, plan: TurnPlan) -> None:
        """Record the replies and effects before any of them is carried out."""
        record = {"state": PLANNED, "replies": list(plan.replies), "effects": list(plan.effects)}
        self._vault.put(_KIND, owner, event_id, record)

    def answered(self, owner: ParticipantId, event_id: EventId) -> None:
        self._vault.put(_KIND, owner, event_id, {"state": ANSWERED})
        self._vault.delete(_INBOX, owner, event_id)

    def pending(self) -> list[PendingTurn]:
        """Turns received but not yet answered, oldest first (for a restart)."""
        turns = [
            PendingTurn(
                owner=ParticipantId(r["owner"]),
                event_id=EventId(r["event_id"]),
                sender=MatrixUserId(r["sender"]),
                room_id=RoomId(r["room_id"]),
                text=r["text"],
                timestamp_ms=int(r["timestamp_ms"]),
                language=r["language"],
                level=r["level"],
                categories=tuple(str(c) for c in r.get("categories", ())),
                kind=str(r.get("kind", "text")),
            )
            for _, r in self._vault.items(_INBOX)
        ]
        return sorted(turns, key=lambda turn: turn.timestamp_ms)
