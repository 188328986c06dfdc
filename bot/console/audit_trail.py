"""The audit trail as the console shows it: does the chain verify, and what
the latest entries say, without their reasons.

Entries are decoded from the stored rows directly instead of through
``AuditLog.entries()``, because that unseals every reason and the console has
no reason to read them.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.ids import ParticipantId, participant_code
from safety.audit.entry import decode
from safety.audit.log import AuditLog
from safety.vault import Vault
from safety.vault.backend import AuditRow, Checkpoint

SHOWN_ENTRIES = 50


@dataclass(frozen=True)
class AuditLine:
    seq: int
    at: float | None
    action: str
    actor: str
    #: "tag:…" for a subject tag, a participant code where a deletion names the
    #: pseudonym, None for system events
    participant: str | None


@dataclass(frozen=True)
class AuditTrailView:
    intact: bool
    entries: int
    first_bad: int | None
    problem: str | None
    head: Checkpoint | None
    #: newest first
    latest: tuple[AuditLine, ...]


def _participant(fields: dict[str, object]) -> str | None:
    subject = fields.get("subject")
    if not isinstance(subject, str) or not subject:
        return None
    if fields.get("subject_is_tag"):
        # Not even part of the tag: it would let a reader link entries about one person.
        return "(a participant)"
    return participant_code(ParticipantId(subject))


def audit_line(row: AuditRow) -> AuditLine:
    try:
        fields = decode(row.body)
        return AuditLine(
            seq=row.seq,
            at=float(fields["at"]),
            action=str(fields["action"]),
            actor=str(fields["actor"]),
            participant=_participant(fields),
        )
    except (ValueError, KeyError, TypeError):
        # A damaged row is still listed: verify() reports where the chain breaks.
        return AuditLine(row.seq, None, "(unreadable)", "", None)


def read_audit_trail(vault: Vault, shown: int = SHOWN_ENTRIES) -> AuditTrailView:
    report = AuditLog(vault).verify()
    rows = vault.store.audit_rows()
    latest = tuple(audit_line(row) for row in reversed(rows[-shown:])) if shown else ()
    return AuditTrailView(
        intact=report.ok,
        entries=report.entries,
        first_bad=report.first_bad,
        problem=report.problem,
        head=report.head,
        latest=latest,
    )
