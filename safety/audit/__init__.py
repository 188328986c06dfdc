"""The append-only, hash-chained audit trail, stored in the vault's database."""

from __future__ import annotations

import json
from collections.abc import Sequence

from safety.audit.chain import AuditReport
from safety.audit.entry import ACTIONS, AuditEntry
from safety.audit.log import AuditLog
from safety.vault.backend import Checkpoint
from safety.vault.keys import KeyProvider
from safety.vault.url import open_vault

__all__ = [
    "ACTIONS",
    "AuditEntry",
    "AuditLog",
    "AuditReport",
    "Checkpoint",
    "head_from_json",
    "head_to_json",
    "verify_audit",
]


def head_to_json(head: Checkpoint) -> str:
    return json.dumps({"seq": head.seq, "mac": head.mac, "at": head.at, "sig": head.sig})


def head_from_json(text: str) -> Checkpoint:
    fields = json.loads(text)
    return Checkpoint(
        int(fields["seq"]), str(fields["mac"]), float(fields["at"]), str(fields["sig"])
    )


def verify_audit(
    vault_url: str,
    provider: KeyProvider,
    *,
    published: Checkpoint | None = None,
    previous: Sequence[KeyProvider] = (),
) -> AuditReport:
    """Verify the whole chain; ``published`` is a head saved elsewhere earlier."""
    vault = open_vault(vault_url, provider, previous=previous)
    try:
        return AuditLog(vault).verify(published)
    finally:
        vault.close()
