"""The consent ledger: every decision kept, encrypted, per participant.

Consent is to one version of the consent text. Each decision records that
version, the SHA-256 of the exact text shown, its language and the time, as an
append-only vault record under the participant's own data key, and adds an
audit entry. The current state is a query over that history: consent holds
only while the latest decision is "given" to the version in force now.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from safety.audit.log import AuditLog
from safety.errors import ConsentError
from safety.vault.store import Vault

DECISIONS = ("given", "withdrawn", "declined")
_KIND = "consent"


@dataclass(frozen=True)
class ConsentText:
    version: str
    language: str
    text: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()


@dataclass(frozen=True)
class ConsentEvent:
    id: str
    decision: str
    version: str
    text_sha256: str
    language: str
    at: float


@dataclass(frozen=True)
class ConsentStatus:
    consented: bool
    #: the latest decision on record, whatever version it was for
    latest: ConsentEvent | None


class ConsentLedger:
    def __init__(
        self, vault: Vault, audit: AuditLog, clock: Callable[[], float] = time.time
    ) -> None:
        self._vault = vault
        self._audit = audit
        self._clock = clock

    def record(
        self, participant: str, decision: str, text: ConsentText, *, actor: str = "participant"
    ) -> ConsentEvent:
        if decision not in DECISIONS:
            raise ConsentError(f"consent decision must be one of {', '.join(DECISIONS)}")
        at = self._clock()
        # Ids sort in time order, so the history has one order on every backend.
        event = ConsentEvent(
            id=f"{time.time_ns():020d}-{secrets.token_hex(4)}",
            decision=decision,
            version=text.version,
            text_sha256=text.sha256,
            language=text.language,
            at=at,
        )
        self._vault.append(_KIND, participant, event.id, _to_record(event))
        self._audit.append("consent_change", actor, participant, f"{decision} v{text.version}")
        return event

    def history(self, participant: str) -> list[ConsentEvent]:
        events = [_from_record(value) for _, value in self._vault.items(_KIND, participant)]
        return sorted(events, key=lambda event: event.id)

    def current(self, participant: str, text: ConsentText) -> ConsentStatus:
        """Whether consent to ``text`` (the version in force) holds now.

        A decision in another language counts for the same version; in the same
        language the text must hash the same, so an edit without a new version
        number still asks again.
        """
        history = self.history(participant)
        latest = history[-1] if history else None
        consented = (
            latest is not None
            and latest.decision == "given"
            and latest.version == text.version
            and (latest.language != text.language or latest.text_sha256 == text.sha256)
        )
        return ConsentStatus(consented, latest)


def _to_record(event: ConsentEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "decision": event.decision,
        "version": event.version,
        "text_sha256": event.text_sha256,
        "language": event.language,
        "at": event.at,
    }


def _from_record(value: dict[str, Any]) -> ConsentEvent:
    return ConsentEvent(
        id=str(value["id"]),
        decision=str(value["decision"]),
        version=str(value["version"]),
        text_sha256=str(value["text_sha256"]),
        language=str(value["language"]),
        at=float(value["at"]),
    )
