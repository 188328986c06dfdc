"""What one audit entry holds, and its canonical encoding.

Never content: an action, a role or pseudonymous actor, a subject and a reason.
The subject is a tag only the participant's data key can compute, so once they
are shredded earlier entries no longer point to them. Only a deletion (or a
retention shred) names the pseudonym, because the fact of deletion is what must
stay. The reason is stored sealed under the audit's own data key.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from safety.errors import AuditError

ACTIONS = frozenset(
    {
        "content_access",
        "export",
        "deletion",
        "retention",
        "key_rotation",
        "consent_change",
        "handoff",
        "escalation",
        "enrolment",
        # Staff running the programme from a desk: pause, schedule, assign, notes.
        "programme_change",
        # A login to or logout from the supervisor console (who and when only).
        "console_session",
    }
)
# Roles ("operator", "system") or pseudonyms ("mediator:m3k2"): a Matrix id or
# a name cannot pass, since audit entries are readable without a data key.
_ACTOR = re.compile(r"^[a-z][a-z0-9_.:-]{0,63}$")
REASON_CHARS = 200
GENESIS = "0" * 64
# These record that a participant's data is gone, so they must still name them
# once their data key (and with it their subject tag) no longer exists.
NAMING_ACTIONS = frozenset({"deletion", "retention"})


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    at: float
    actor: str
    action: str
    #: the pseudonym (deletions only) or the subject tag; None for system events
    subject: str | None
    subject_is_tag: bool
    reason: str


def check(action: str, actor: str, reason: str) -> None:
    if action not in ACTIONS:
        raise AuditError(f"unknown audit action {action!r}")
    if not _ACTOR.match(actor):
        raise AuditError("audit actor must be a role or a pseudonym, never a name or Matrix id")
    if len(reason) > REASON_CHARS:
        raise AuditError("an audit reason is a short phrase, never content")


def encode(fields: dict[str, Any]) -> str:
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def decode(body: str) -> dict[str, Any]:
    fields = json.loads(body)
    if not isinstance(fields, dict):
        raise ValueError("audit body is not an object")
    return fields
