"""Each participant's check-in clock, sealed in the vault under their own key.

Shredding a participant removes it with everything else of theirs. The record
also holds an outbox: the messages of a step are written here before they are
sent, so a crash between deciding and sending sends them after the restart,
with the same transaction ids.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from bot.core.checkins import CheckinState
from safety.vault import Vault

_KIND = "checkin"
_KEY = "state"


@dataclass(frozen=True)
class Outbox:
    key: str  # what the transaction ids derive from: participant, slot and step
    replies: tuple[str, ...] = field(default_factory=tuple)
    created_at: float = 0.0


class CheckinStore:
    def __init__(self, vault: Vault) -> None:
        self._vault = vault

    def get(self, pseudonym: str) -> tuple[CheckinState, Outbox | None]:
        record = self._vault.get(_KIND, pseudonym, _KEY)
        if record is None:
            return CheckinState(), None
        names = {f.name for f in dataclasses.fields(CheckinState)}
        fields = {k: v for k, v in record["state"].items() if k in names}
        fields["stress_scores"] = tuple(fields.get("stress_scores", ()))
        state = CheckinState(**fields)
        raw = record.get("outbox")
        outbox = (
            None
            if raw is None
            else Outbox(raw["key"], tuple(raw["replies"]), float(raw.get("created_at", 0.0)))
        )
        return state, outbox

    def save(self, pseudonym: str, state: CheckinState, outbox: Outbox | None = None) -> None:
        record: dict[str, Any] = {"state": dataclasses.asdict(state)}
        if outbox is not None:
            record["outbox"] = {
                "key": outbox.key,
                "replies": list(outbox.replies),
                "created_at": outbox.created_at,
            }
        self._vault.put(_KIND, pseudonym, _KEY, record)

    def update(self, pseudonym: str, state: CheckinState) -> None:
        """Save new state, keeping any messages still waiting to be sent."""
        _, outbox = self.get(pseudonym)
        self.save(pseudonym, state, outbox)
