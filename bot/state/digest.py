"""Elevated risk kept for the next digest, sealed under each participant's key.

Shredding a participant removes their notes too. Which digest went out last,
and the cut-off time of one being sent, are the gateway's own state.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.digest import Noted
from safety.vault import Vault
from safety.vault.store import SYSTEM_OWNER

_KIND = "digest"
_KEY = "pending"
_STATE = "digest_state"
# Enough to see a pattern; a participant cannot grow the record without bound.
MAX_NOTES = 50


@dataclass(frozen=True)
class DigestRun:
    day: str
    cutoff: float
    sent: bool


class DigestStore:
    def __init__(self, vault: Vault) -> None:
        self._vault = vault

    def note(self, pseudonym: str, signals: tuple[str, ...], at: float) -> None:
        notes = [*self._notes_of(pseudonym), Noted(signals, at)][-MAX_NOTES:]
        self._save(pseudonym, notes)

    def pending(self, up_to: float) -> dict[str, tuple[Noted, ...]]:
        found: dict[str, tuple[Noted, ...]] = {}
        for owner, record in self._vault.items(_KIND):
            notes = tuple(n for n in _parse(record) if n.at <= up_to)
            if notes:
                found[owner] = notes
        return found

    def clear_up_to(self, cutoff: float) -> None:
        for owner, record in list(self._vault.items(_KIND)):
            self._save(owner, [n for n in _parse(record) if n.at > cutoff])

    def last_run(self) -> DigestRun | None:
        record = self._vault.get(_STATE, SYSTEM_OWNER, "last")
        return None if record is None else DigestRun(**record)

    def save_run(self, run: DigestRun) -> None:
        self._vault.put(
            _STATE, SYSTEM_OWNER, "last", {"day": run.day, "cutoff": run.cutoff, "sent": run.sent}
        )

    def _notes_of(self, pseudonym: str) -> list[Noted]:
        record = self._vault.get(_KIND, pseudonym, _KEY)
        return [] if record is None else _parse(record)

    def _save(self, pseudonym: str, notes: list[Noted]) -> None:
        if not notes:
            self._vault.delete(_KIND, pseudonym, _KEY)
            return
        value = {"notes": [{"signals": list(n.signals), "at": n.at} for n in notes]}
        self._vault.put(_KIND, pseudonym, _KEY, value)


def _parse(record: dict[str, object]) -> list[Noted]:
    raw = record.get("notes", [])
    assert isinstance(raw, list)
    return [Noted(tuple(item["signals"]), float(item["at"])) for item in raw]
