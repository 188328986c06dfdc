"""The audit chain and key-rotation tables, shared by the SQL backends."""

from __future__ import annotations

import time
from typing import Any

from safety.errors import StoreError
from safety.vault.backend import AuditRow, AuditSealer, AuditTail, Checkpoint, KeyRow, RotationRow
from safety.vault.driver import Driver


def key_row(row: tuple[Any, ...]) -> KeyRow:
    return KeyRow(str(row[0]), bytes(row[1]), str(row[2]), bool(row[3]))


def _rotation(row: tuple[Any, ...]) -> RotationRow:
    finished = None if row[3] is None else float(row[3])
    return RotationRow(str(row[0]), str(row[1]), float(row[2]), finished, int(row[4]))


class SqlAudit:
    _db: Driver

    def audit_append(self, seal: AuditSealer) -> AuditRow:
        with self._db.transaction(lock="samtal:audit"):
            last = self._db.query("SELECT seq, body, mac FROM audit_log ORDER BY seq DESC LIMIT 1")
            previous = AuditRow(int(last[0][0]), str(last[0][1]), str(last[0][2])) if last else None
            tail = AuditTail(self.audit_checkpoint(), previous)
            row, head = seal(tail)
            self._db.execute(
                "INSERT INTO audit_log (seq, body, mac) VALUES (?, ?, ?)",
                (row.seq, row.body, row.mac),
            )
            self._db.execute(
                "INSERT INTO audit_checkpoint (id, seq, mac, at, sig) VALUES (1, ?, ?, ?, ?)"
                " ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, mac = excluded.mac,"
                " at = excluded.at, sig = excluded.sig",
                (head.seq, head.mac, head.at, head.sig),
            )
        return row

    def audit_rows(self) -> list[AuditRow]:
        rows = self._db.query("SELECT seq, body, mac FROM audit_log ORDER BY seq")
        return [AuditRow(int(seq), str(body), str(mac)) for seq, body, mac in rows]

    def audit_checkpoint(self) -> Checkpoint | None:
        rows = self._db.query("SELECT seq, mac, at, sig FROM audit_checkpoint WHERE id = 1")
        if not rows:
            return None
        seq, mac, at, sig = rows[0]
        return Checkpoint(int(seq), str(mac), float(at), str(sig))


class SqlRotation:
    _db: Driver

    def stale_keys(self, kek_id: str, limit: int) -> list[KeyRow]:
        rows = self._db.query(
            "SELECT owner, wrapped, kek_id, shredded FROM data_keys"
            " WHERE shredded = 0 AND kek_id <> ?"
            " ORDER BY owner LIMIT ?",
            (kek_id, limit),
        )
        return [key_row(row) for row in rows]

    def rotation(self, new_kek_id: str) -> RotationRow | None:
        rows = self._db.query(
            "SELECT new_kek_id, old_kek_id, started, finished, rewrapped FROM key_rotations"
            " WHERE new_kek_id = ?",
            (new_kek_id,),
        )
        return _rotation(rows[0]) if rows else None

    def begin_rotation(self, new_kek_id: str, old_kek_id: str) -> RotationRow:
        self._db.execute(
            "INSERT INTO key_rotations (new_kek_id, old_kek_id, started, rewrapped)"
            " VALUES (?, ?, ?, 0) ON CONFLICT (new_kek_id) DO UPDATE SET finished = NULL",
            (new_kek_id, old_kek_id, time.time()),
        )
        found = self.rotation(new_kek_id)
        if found is None:
            raise StoreError("key rotation progress is missing")
        return found

    def rewrap(self, owner: str, old_kek_id: str, wrapped: bytes, new_kek_id: str) -> bool:
        with self._db.transaction():
            changed = self._db.execute(
                "UPDATE data_keys SET wrapped = ?, kek_id = ?"
                " WHERE owner = ? AND kek_id = ? AND shredded = 0",
                (wrapped, new_kek_id, owner, old_kek_id),
            )
            if changed:
                self._db.execute(
                    "UPDATE key_rotations SET rewrapped = rewrapped + 1 WHERE new_kek_id = ?",
                    (new_kek_id,),
                )
        return changed > 0

    def finish_rotation(self, new_kek_id: str) -> RotationRow:
        self._db.execute(
            "UPDATE key_rotations SET finished = ? WHERE new_kek_id = ?", (time.time(), new_kek_id)
        )
        found = self.rotation(new_kek_id)
        if found is None:
            raise StoreError("key rotation progress is missing")
        return found
