"""The storage interface every vault backend implements.

Backends store opaque bytes only: sealing, key wrapping and MACs happen above
them, so a backend never sees a plaintext value or an unwrapped key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class KeyRow:
    owner: str
    wrapped: bytes
    kek_id: str
    shredded: bool


@dataclass(frozen=True)
class StoredRecord:
    kind: str
    owner: str
    rkey: str
    sealed: bytes
    #: how many times the record was written; sealed into its associated data,
    #: so an older copy put back in its place fails authentication. 0 marks a
    #: record written before versions, in the older format.
    version: int = 0


@dataclass(frozen=True)
class AuditRow:
    seq: int
    body: str
    mac: str


@dataclass(frozen=True)
class Checkpoint:
    """The signed head of the audit chain: last sequence number and its MAC."""

    seq: int
    mac: str
    at: float
    sig: str


@dataclass(frozen=True)
class AuditTail:
    checkpoint: Checkpoint | None
    last: AuditRow | None


@dataclass(frozen=True)
class RotationRow:
    new_kek_id: str
    old_kek_id: str
    started: float
    finished: float | None
    rewrapped: int


AuditSealer = Callable[[AuditTail], tuple[AuditRow, Checkpoint]]


class RecordStore(Protocol):
    """Wrapped data keys and sealed records."""

    def key(self, owner: str) -> KeyRow | None: ...

    def create_key(self, owner: str, wrapped: bytes, kek_id: str) -> KeyRow:
        """Insert unless a key exists; return whichever key won a race."""
        ...

    def shred(self, owner: str) -> None:
        """Destroy the wrapped key (leaving a tombstone) and drop the records."""
        ...

    def put(self, record: StoredRecord, *, overwrite: bool = True) -> bool:
        """Store a record; False if the owner has no live key, if it exists and
        ``overwrite`` is off, or if the stored copy is not the version just before
        ``record.version`` (someone else wrote it meanwhile)."""
        ...

    def get(self, kind: str, owner: str, rkey: str) -> StoredRecord | None: ...

    def scan(self, kind: str | None = None, owner: str | None = None) -> list[StoredRecord]: ...

    def delete(self, kind: str, owner: str, rkey: str) -> None: ...

    def schema_version(self) -> int: ...

    def close(self) -> None: ...


class AuditStore(Protocol):
    """The audit chain's rows and its signed head, appended under one lock."""

    def audit_append(self, seal: AuditSealer) -> AuditRow: ...

    def audit_rows(self) -> list[AuditRow]: ...

    def audit_checkpoint(self) -> Checkpoint | None: ...


class RotationStore(Protocol):
    """Re-wrapping data keys, with progress recorded in the same transaction."""

    def stale_keys(self, kek_id: str, limit: int) -> list[KeyRow]:
        """Live keys not wrapped under ``kek_id``."""
        ...

    def rotation(self, new_kek_id: str) -> RotationRow | None: ...

    def begin_rotation(self, new_kek_id: str, old_kek_id: str) -> RotationRow: ...

    def rewrap(self, owner: str, old_kek_id: str, wrapped: bytes, new_kek_id: str) -> bool: ...

    def finish_rotation(self, new_kek_id: str) -> RotationRow: ...


class Backend(RecordStore, AuditStore, RotationStore, Protocol):
    """What :class:`safety.vault.Vault` and the tools built on it need."""
