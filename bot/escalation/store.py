"""Escalations as encrypted vault records, one per code, owned by the participant."""

from __future__ import annotations

import secrets

from safety.escalation.record import Escalation
from safety.vault import Vault

_KIND = "escalation"
_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def new_code() -> str:
    return "E-" + "".join(secrets.choice(_CODE_ALPHABET) for _ in range(6))


class EscalationStore:
    def __init__(self, vault: Vault) -> None:
        self._vault = vault

    def save(self, esc: Escalation) -> None:
        self._vault.put(_KIND, esc.participant, esc.code, esc.to_record())

    def all(self) -> list[Escalation]:
        return [Escalation.from_record(record) for _, record in self._vault.items(_KIND)]

    def find(self, code: str) -> Escalation | None:
        wanted = code.strip().upper()
        return next((esc for esc in self.all() if esc.code == wanted), None)

    def by_notice_event(self, event_id: str) -> Escalation | None:
        return next((esc for esc in self.all() if event_id in esc.notice_events), None)

    def open_for(self, participant: str) -> list[Escalation]:
        return [esc for esc in self.all() if esc.participant == participant and esc.is_open]
