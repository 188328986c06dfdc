"""A participant's rights over their data: a copy of it, and its destruction."""

from __future__ import annotations

import time
from typing import Any

from safety.audit.log import AuditLog
from safety.vault.store import Vault


def export(
    vault: Vault,
    participant: str,
    audit: AuditLog | None = None,
    *,
    actor: str = "participant",
    reason: str = "access request",
) -> dict[str, Any]:
    """Every readable record of ``participant``, grouped by kind, as JSON-able data.

    Pass ``audit`` wherever the export leaves the process (``samtal export``):
    every access to content is audited.
    """
    records: dict[str, list[Any]] = {}
    for kind, value in vault.records_of(participant):
        records.setdefault(kind, []).append(value)
    if audit is not None:
        audit.append("export", actor, participant, reason)
    return {
        "participant": participant,
        "exported_at": time.time(),
        "records": {kind: records[kind] for kind in sorted(records)},
    }


def forget(
    vault: Vault,
    audit: AuditLog,
    participant: str,
    *,
    actor: str = "operator",
    reason: str = "participant asked",
    action: str = "deletion",
) -> None:
    """Crypto-shred: destroy the data key, drop the records, audit the deletion.

    The audit entry comes after the shred, so it never claims a deletion that
    did not happen; if it fails, running ``forget`` again is harmless. Automatic
    shredding at the retention limit passes ``action="retention"``.
    """
    vault.shred(participant)
    audit.append(action, actor, participant, reason)
