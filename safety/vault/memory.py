"""An in-process backend with the same contract as the SQL ones, for unit tests."""

from __future__ import annotations

import threading
import time

from safety.errors import StoreError
from safety.vault.backend import (
    EMPTY_DIGEST,
    AuditRow,
    AuditSealer,
    AuditTail,
    Checkpoint,
    DigestOf,
    KeyRow,
    RotationRow,
    Sealer,
    StoredRecord,
    Tagger,
    xor,
)
from safety.vault.migrations import LATEST


class MemoryStore:
    """Every structure is public so tests can tamper with it as with a raw database."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.keys: dict[str, KeyRow] = {}
        self.records: dict[tuple[str, str, str], bytes] = {}
        # Apart from the sealed bytes, as a database column is: a record missing
        # here was written before versions (0).
        self.versions: dict[tuple[str, str, str], int] = {}
        # Per owner, as the data_keys column: missing means not kept yet.
        self.digests: dict[str, bytes] = {}
        self.audit: dict[int, AuditRow] = {}
        self.checkpoint: Checkpoint | None = None
        self.rotations: dict[str, RotationRow] = {}

    def close(self) -> None:
        """Data stays, so a named memory store can be opened again."""

    def schema_version(self) -> int:
        return LATEST

    def key(self, owner: str) -> KeyRow | None:
        return self.keys.get(owner)

    def create_key(self, owner: str, wrapped: bytes, kek_id: str) -> KeyRow:
        with self.lock:
            if owner not in self.keys:
                self.digests[owner] = EMPTY_DIGEST
            return self.keys.setdefault(owner, KeyRow(owner, wrapped, kek_id, False))

    def shred(self, owner: str) -> None:
        with self.lock:
            self.keys[owner] = KeyRow(owner, b"", "", True)
            for key in [key for key in self.records if key[1] == owner]:
                del self.records[key]
                self.versions.pop(key, None)

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
        key = (kind, owner, rkey)
        with self.lock:
            live = self.keys.get(owner)
            if live is None or live.shredded or (not overwrite and key in self.records):
                return False
            found = key in self.records
            old = self.versions.get(key, 0)
            version = old + 1
            self.records[key] = seal(version)
            self.versions[key] = version
            digest = self.digests.get(owner)
            if digest is not None and tag is not None:
                digest = xor(digest, tag(kind, rkey, version))
                if found:
                    digest = xor(digest, tag(kind, rkey, old))
                self.digests[owner] = digest
            return True

    def get(self, kind: str, owner: str, rkey: str) -> StoredRecord | None:
        with self.lock:
            sealed = self.records.get((kind, owner, rkey))
            version = self.versions.get((kind, owner, rkey), 0)
        return None if sealed is None else StoredRecord(kind, owner, rkey, sealed, version)

    def scan(self, kind: str | None = None, owner: str | None = None) -> list[StoredRecord]:
        with self.lock:
            found = sorted(self.records.items())
            versions = dict(self.versions)
        return [
            StoredRecord(k, o, r, sealed, versions.get((k, o, r), 0))
            for (k, o, r), sealed in found
            if (kind is None or k == kind) and (owner is None or o == owner)
        ]

    def delete(self, kind: str, owner: str, rkey: str, tag: Tagger | None = None) -> None:
        with self.lock:
            if self.records.pop((kind, owner, rkey), None) is None:
                return
            old = self.versions.pop((kind, owner, rkey), 0)
            digest = self.digests.get(owner)
            if digest is not None and tag is not None:
                self.digests[owner] = xor(digest, tag(kind, rkey, old))

    def live_owners(self) -> list[str]:
        with self.lock:
            return sorted(owner for owner, row in self.keys.items() if not row.shredded)

    def _versions_of(self, owner: str) -> list[tuple[str, str, int]]:
        return sorted(
            (k, r, self.versions.get((k, o, r), 0)) for (k, o, r) in self.records if o == owner
        )

    def record_versions(self, owner: str) -> tuple[bytes | None, list[tuple[str, str, int]]]:
        with self.lock:
            return self.digests.get(owner), self._versions_of(owner)

    def cover(self, owner: str, digest_of: DigestOf) -> bool:
        with self.lock:
            row = self.keys.get(owner)
            if row is None or row.shredded or owner in self.digests:
                return False
            self.digests[owner] = digest_of(self._versions_of(owner))
            return True

    def audit_append(self, seal: AuditSealer) -> AuditRow:
        with self.lock:
            last = self.audit[max(self.audit)] if self.audit else None
            row, head = seal(AuditTail(self.checkpoint, last))
            if row.seq in self.audit:
                raise StoreError("audit sequence number already taken")
            self.audit[row.seq] = row
            self.checkpoint = head
            return row

    def audit_rows(self) -> list[AuditRow]:
        with self.lock:
            return [self.audit[seq] for seq in sorted(self.audit)]

    def audit_checkpoint(self) -> Checkpoint | None:
        return self.checkpoint

    def stale_keys(self, kek_id: str, limit: int) -> list[KeyRow]:
        with self.lock:
            stale = [row for row in self.keys.values() if not row.shredded and row.kek_id != kek_id]
        return sorted(stale, key=lambda row: row.owner)[:limit]

    def rotation(self, new_kek_id: str) -> RotationRow | None:
        return self.rotations.get(new_kek_id)

    def begin_rotation(self, new_kek_id: str, old_kek_id: str) -> RotationRow:
        with self.lock:
            found = self.rotations.get(new_kek_id)
            row = (
                RotationRow(new_kek_id, old_kek_id, time.time(), None, 0)
                if found is None
                else RotationRow(
                    found.new_kek_id, found.old_kek_id, found.started, None, found.rewrapped
                )
            )
            self.rotations[new_kek_id] = row
            return row

    def rewrap(self, owner: str, old_kek_id: str, wrapped: bytes, new_kek_id: str) -> bool:
        with self.lock:
            row = self.keys.get(owner)
            if row is None or row.shredded or row.kek_id != old_kek_id:
                return False
            self.keys[owner] = KeyRow(owner, wrapped, new_kek_id, False)
            progress = self.rotations[new_kek_id]
            self.rotations[new_kek_id] = RotationRow(
                progress.new_kek_id,
                progress.old_kek_id,
                progress.started,
                None,
                progress.rewrapped + 1,
            )
            return True

    def finish_rotation(self, new_kek_id: str) -> RotationRow:
        with self.lock:
            row = self.rotations[new_kek_id]
            done = RotationRow(
                row.new_kek_id, row.old_kek_id, row.started, time.time(), row.rewrapped
            )
            self.rotations[new_kek_id] = done
            return done
