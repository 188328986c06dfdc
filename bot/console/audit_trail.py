"""The audit trail as the console shows it: does the chain verify, and what
the latest entries say, without their reasons.

Entries are decoded from the stored rows directly instead of through
``AuditLog.entries()``, because that unseals every reason and the console has
no reason to read them.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.ids import ParticipantId, participant_code
from safety.audit import head_from_json
from safety.audit.entry import decode
from safety.audit.log import AuditLog
from safety.vault import Vault
from safety.vault.backend import AuditRow, Checkpoint

SHOWN_ENTRIES = 50
MAX_PASTED_HEAD = 2000


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
class AuditQuery:
    """Which entries to list: one action, one actor, older than one entry."""

    action: str | None = None
    actor: str | None = None
    before: int | None = None

    def matches(self, line: AuditLine) -> bool:
        return (
            (self.action is None or line.action == self.action)
            and (self.actor is None or line.actor == self.actor)
            and (self.before is None or line.seq < self.before)
        )

    @property
    def filtered(self) -> bool:
        return self.action is not None or self.actor is not None


@dataclass(frozen=True)
class AuditTrailView:
    intact: bool
    entries: int
    first_bad: int | None
    problem: str | None
    head: Checkpoint | None
    #: newest first
    latest: tuple[AuditLine, ...]
    query: AuditQuery = AuditQuery()
    #: where the next page of older matching entries starts, if there are more
    older_than: int | None = None
    #: the published head the chain was also checked against, if one was given
    published: Checkpoint | None = None


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


def published_head(pasted: str) -> Checkpoint | None:
    """A head as the gateway posts it to the team room ("🧾 audit head {…}"),
    pasted whole or as its JSON; None if it is not one."""
    start = pasted.find("{")
    if start < 0 or len(pasted) > MAX_PASTED_HEAD:
        return None
    try:
        return head_from_json(pasted[start:].strip())
    except (ValueError, KeyError, TypeError, OverflowError, RecursionError):
        return None


def read_audit_trail(
    vault: Vault,
    shown: int = SHOWN_ENTRIES,
    query: AuditQuery | None = None,
    published: Checkpoint | None = None,
) -> AuditTrailView:
    """The whole chain verified (against ``published`` too, a head posted
    earlier, which catches a chain rolled back or rewritten whole), and the
    newest ``shown`` entries that match."""
    query = query or AuditQuery()
    report = AuditLog(vault).verify(published)
    matching: list[AuditLine] = []
    more = False
    for row in reversed(vault.store.audit_rows()):
        line = audit_line(row)
        if not query.matches(line):
            continue
        if len(matching) == shown:
            more = True
            break
        matching.append(line)
    return AuditTrailView(
        intact=report.ok,
        entries=report.entries,
        first_bad=report.first_bad,
        problem=report.problem,
        head=report.head,
        latest=tuple(matching),
        query=query,
        older_than=matching[-1].seq if more and matching else None,
        published=published,
    )
