"""The audit trail: append entries, read them back, verify the chain."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable

from safety.audit.chain import AuditReport, entry_mac, head_sig, head_valid, verify_chain
from safety.audit.entry import GENESIS, NAMING_ACTIONS, AuditEntry, check, decode, encode
from safety.errors import AuditTamperedError, ShreddedError, StoreError
from safety.vault.backend import AuditRow, AuditTail, Checkpoint
from safety.vault.store import Vault

AUDIT_OWNER = "_audit"
_REASON_KIND = "audit-reason"


class AuditLog:
    def __init__(self, vault: Vault, clock: Callable[[], float] = time.time) -> None:
        self._vault = vault
        self._store = vault.store
        self._clock = clock
        self._mac_key = vault.derived_key("samtal:audit:v1")
        self._head_key = vault.derived_key("samtal:audit-head:v1")

    def append(
        self, action: str, actor: str, subject: str | None = None, reason: str = ""
    ) -> AuditEntry:
        """Record one event; a deletion or retention shred names the pseudonym,
        anything else carries the subject tag."""
        check(action, actor, reason)
        is_tag = subject is not None and action not in NAMING_ACTIONS
        stored_subject = self._vault.subject_tag(subject) if is_tag and subject else subject
        at = self._clock()

        def seal(tail: AuditTail) -> tuple[AuditRow, Checkpoint]:
            seq, prev = self._next(tail)
            sealed = self._vault.seal(_REASON_KIND, AUDIT_OWNER, str(seq), reason)
            body = encode(
                {
                    "seq": seq,
                    "prev": prev,
                    "at": at,
                    "actor": actor,
                    "action": action,
                    "subject": stored_subject,
                    "subject_is_tag": is_tag,
                    "reason": base64.b64encode(sealed).decode("ascii"),
                }
            )
            mac = entry_mac(self._mac_key, body)
            return AuditRow(seq, body, mac), Checkpoint(
                seq, mac, at, head_sig(self._head_key, seq, mac, at)
            )

        # Creating a data key inside the append transaction would nest writes.
        self._vault.ensure_key(AUDIT_OWNER)
        row = self._store.audit_append(seal)
        return self._entry(row)

    def _next(self, tail: AuditTail) -> tuple[int, str]:
        # Chain from the signed head, not from the last row: appending after a
        # truncation must not hide it by signing a shortened chain.
        head = tail.checkpoint
        if head is None:
            if tail.last is not None:
                raise AuditTamperedError("the audit head is missing; run `samtal audit verify`")
            return 1, GENESIS
        if not head_valid(self._head_key, head):
            raise AuditTamperedError("the audit head does not verify; run `samtal audit verify`")
        return head.seq + 1, head.mac

    def head(self) -> Checkpoint | None:
        """The signed head, to publish where this process cannot rewrite it."""
        return self._store.audit_checkpoint()

    def verify(self, published: Checkpoint | None = None) -> AuditReport:
        rows = self._store.audit_rows()
        head = self._store.audit_checkpoint()
        return verify_chain(rows, head, self._mac_key, self._head_key, published)

    def entries(self, subject: str | None = None) -> list[AuditEntry]:
        """Entries in order; with ``subject``, only those about that participant."""
        entries = [self._entry(row) for row in self._store.audit_rows()]
        if subject is None:
            return entries
        try:
            tag: str | None = self._vault.subject_tag(subject)
        except ShreddedError:
            tag = None
        return [
            entry
            for entry in entries
            if entry.subject == (tag if entry.subject_is_tag else subject) and entry.subject
        ]

    def _entry(self, row: AuditRow) -> AuditEntry:
        fields = decode(row.body)
        try:
            sealed = base64.b64decode(fields["reason"])
            reason = str(self._vault.unseal(_REASON_KIND, AUDIT_OWNER, str(row.seq), sealed))
        except (StoreError, ValueError, KeyError):
            reason = "(unreadable)"
        return AuditEntry(
            seq=int(fields["seq"]),
            at=float(fields["at"]),
            actor=str(fields["actor"]),
            action=str(fields["action"]),
            subject=fields.get("subject"),
            subject_is_tag=bool(fields.get("subject_is_tag")),
            reason=reason,
        )
