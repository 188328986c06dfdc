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

#: A keyed tag of one record version, from (kind, rkey, version). The store keeps,
#: per owner, the XOR of the tags of their records as they stand (the record
#: digest), and updates it with each write in the same transaction; only the
#: vault, which holds the owner's key, can make or check a tag.
Tagger = Callable[[str, str, int], bytes]
#: Seals a record's value for the version it is given.
Sealer = Callable[[int], bytes]
#: The digest of an owner's records, from their (kind, rkey, version) rows.
DigestOf = Callable[[list[tuple[str, str, int]]], bytes]
DIGEST_BYTES = 32
EMPTY_DIGEST = bytes(DIGEST_BYTES)


def xor(left: bytes, right: bytes) -> bytes:
    return bytes(a ^ b for a, b in zip(left, right, strict=True))


class RecordStore(Protocol):
    """Wrapped data keys and sealed records."""

    def key(self, owner: str) -> KeyRow | None: ...

    def create_key(self, owner: str, wrapped: bytes, kek_id: str) -> KeyRow:
        """Insert unless a key exists; return whichever key won a race."""
        ...

    def shred(self, owner: str) -> None:
        """Destroy the wrapped key (leaving a tombstone) and drop the records."""
        ...

    def put(
        self,
        kind: str,
        owner: str,
        rkey: str,
        seal: Sealer,
        *,
        overwrite: bool = True,
        tag: Tagger | None = None,
    ) -> bool:
        """Store the record ``seal(version)`` returns, where ``version`` is the
        stored one plus one (1 for a new record), while no other write of the
        owner can run; False if the owner has no live key, or the record exists
        and ``overwrite`` is off. With ``tag``, the owner's record digest moves
        with it, in the same transaction."""
        ...

    def get(self, kind: str, owner: str, rkey: str) -> StoredRecord | None: ...

    def scan(self, kind: str | None = None, owner: str | None = None) -> list[StoredRecord]: ...

    def delete(self, kind: str, owner: str, rkey: str, tag: Tagger | None = None) -> None: ...

    def live_owners(self) -> list[str]:
        """Every owner whose data key is not destroyed."""
        ...

    def record_versions(self, owner: str) -> tuple[bytes | None, list[tuple[str, str, int]]]:
        """The owner's record digest (None if not kept yet) and the (kind, rkey,
        version) of their records, read together as of one moment."""
        ...

    def cover(self, owner: str, digest_of: DigestOf) -> bool:
        """Start keeping the digest of an owner from before digests, from their
        records as they stand; False if it is kept already (or the owner is gone)."""
        ...

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
