"""An in-process backend with the same contract as the SQL ones, for unit tests."""

from __future__ import annotations

import threading
import time

from safety.errors import StoreError
from safety.vault.backend import (
    AuditRow,
    AuditSealer,
    AuditTail,
    Checkpoint,
    KeyRow,
    RotationRow,
    StoredRecord,
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
            return self.keys.setdefault(owner, KeyRow(owner, wrapped, kek_id, False))

    def shred(self, owner: str) -> None:
        with self.lock:
            self.keys[owner] = KeyRow(owner, b"", "", True)
            for key in [key for key in self.records if key[1] == owner]:
                del self.records[key]
                self.versions.pop(key, None)

    def put(self, record: StoredRecord, *, overwrite: bool = True) -> bool:
        key = (record.kind, record.owner, record.rkey)
        with self.lock:
            live = self.keys.get(record.owner)
            if live is None or live.shredded or (not overwrite and key in self.records):
                return False
            if key in self.records and self.versions.get(key, 0) != record.version - 1:
                return False
            self.records[key] = record.sealed
            self.versions[key] = record.version
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

    def delete(self, kind: str, owner: str, rkey: str) -> None:
        with self.lock:
            self.records.pop((kind, owner, rkey), None)
            self.versions.pop((kind, owner, rkey), None)

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
