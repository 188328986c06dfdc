"""Escalations as encrypted vault records, one per code, owned by the participant."""

from __future__ import annotations

import secrets
import time

from safety.escalation.record import RESOLVED, Escalation
from safety.vault import Vault

_KIND = "escalation"
_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def new_code() -> str:
    return "E-" + "".join(secrets.choice(_CODE_ALPHABET) for _ in range(6))


class EscalationStore:
    """Keeps an in-memory index of escalations that still need work (open, or with
    notices to send), so the once-a-second tick never decrypts closed history."""

    def __init__(self, vault: Vault) -> None:
        self._vault = vault
        self._owner_of: dict[str, str] = {}
        self._active: set[str] = set()
        self._open: set[str] = set()
        self._by_notice: dict[str, set[str]] = {}
        for esc in all_escalations(vault):
            self._index(esc)

    def _index(self, esc: Escalation) -> None:
        self._owner_of[esc.code] = esc.participant
        for event_id in esc.notice_events:
            self._by_notice.setdefault(event_id, set()).add(esc.code)
        if esc.is_open or esc.unsent():
            self._active.add(esc.code)
        else:
            self._active.discard(esc.code)
        if esc.is_open:
            self._open.add(esc.code)
        else:
            self._open.discard(esc.code)

    def open_count(self) -> int:
        """Escalations nobody has acknowledged or resolved yet (from the index)."""
        return len(self._open)

    def save(self, esc: Escalation) -> None:
        self._vault.put(_KIND, esc.participant, esc.code, esc.to_record())
        self._index(esc)

    def add_note(self, esc: Escalation, by: str, note: str) -> None:
        key = f"{esc.code}:{time.time_ns()}"
        self._vault.put("note", esc.participant, key, {"code": esc.code, "by": by, "note": note})

    def notes(self, participant: str) -> list[dict[str, str]]:
        return [dict(record) for _, record in self._vault.items("note", participant)]

    def all(self) -> list[Escalation]:
        return all_escalations(self._vault)

    def active(self) -> list[Escalation]:
        found = (self.find(code) for code in sorted(self._active))
        return [esc for esc in found if esc is not None]

    def find(self, code: str) -> Escalation | None:
        wanted = code.strip().upper()
        owner = self._owner_of.get(wanted)
        if owner is None:
            return None
        record = self._vault.get(_KIND, owner, wanted)
        return None if record is None else Escalation.from_record(record)

    def by_notice_event(self, event_id: str) -> list[Escalation]:
        found = (self.find(code) for code in sorted(self._by_notice.get(event_id, ())))
        return [esc for esc in found if esc is not None]

    def unresolved_for(self, participant: str) -> list[Escalation]:
        """Open or acknowledged, newest first."""
        found = [esc for esc in self.all_of(participant) if esc.state != RESOLVED]
        return sorted(found, key=lambda esc: esc.created_at, reverse=True)

    def all_of(self, participant: str) -> list[Escalation]:
        return [
            Escalation.from_record(record) for _, record in self._vault.items(_KIND, participant)
        ]

    def open_for(self, participant: str) -> list[Escalation]:
        return [esc for esc in self.active() if esc.participant == participant and esc.is_open]


def all_escalations(vault: Vault) -> list[Escalation]:
    """Every escalation, open or closed (each one decrypted)."""
    return [Escalation.from_record(record) for _, record in vault.items(_KIND)]
