"""The vault's store over any SQL :class:`Driver`: data keys and sealed records.

SQLite and PostgreSQL share these statements; the drivers differ only in
placeholders, locking and how a write transaction starts.
"""

from __future__ import annotations

import time

from safety.errors import StoreError
from safety.vault.backend import KeyRow, StoredRecord
from safety.vault.driver import Driver
from safety.vault.migrations import migrate
from safety.vault.sql_log import SqlAudit, SqlRotation, key_row

_PUT = (
    "INSERT INTO records (kind, owner, rkey, sealed, updated, version)"
    " SELECT ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM data_keys"
    " WHERE owner = ? AND shredded = 0{lock}) ON CONFLICT (kind, owner, rkey) {conflict}"
)
# Replace only the version the writer sealed against: a concurrent writer's newer
# record is never overwritten by one sealed with the same version number.
_OVERWRITE = (
    "DO UPDATE SET sealed = excluded.sealed, updated = excluded.updated,"
    " version = excluded.version WHERE records.version = excluded.version - 1"
)


class SqlStore(SqlAudit, SqlRotation):
    def __init__(self, db: Driver) -> None:
        self._db = db
        # Built once from constants: the only variable part is the driver's lock clause.
        self._put = {
            overwrite: _PUT.format(
                lock=db.for_share, conflict=_OVERWRITE if overwrite else "DO NOTHING"
            )
            for overwrite in (True, False)
        }
        migrate(db)

    def close(self) -> None:
        self._db.close()

    def schema_version(self) -> int:
        return int(self._db.query("SELECT MAX(version) FROM schema_version")[0][0])

    # data keys and records

    def key(self, owner: str) -> KeyRow | None:
        rows = self._db.query(
            "SELECT owner, wrapped, kek_id, shredded FROM data_keys WHERE owner = ?", (owner,)
        )
        return key_row(rows[0]) if rows else None

    def create_key(self, owner: str, wrapped: bytes, kek_id: str) -> KeyRow:
        self._db.execute(
            "INSERT INTO data_keys (owner, wrapped, kek_id, created, shredded)"
            " VALUES (?, ?, ?, ?, 0) ON CONFLICT (owner) DO NOTHING",
            (owner, wrapped, kek_id, time.time()),
        )
        row = self.key(owner)
        if row is None:
            raise StoreError("data key vanished while being created")
        return row

    def shred(self, owner: str) -> None:
        with self._db.transaction():
            self._db.execute(
                "INSERT INTO data_keys (owner, wrapped, kek_id, created, shredded)"
                " VALUES (?, ?, '', ?, 1) ON CONFLICT (owner) DO UPDATE"
                " SET wrapped = excluded.wrapped, shredded = 1",
                (owner, b"", time.time()),
            )
            self._db.execute("DELETE FROM records WHERE owner = ?", (owner,))
        self._db.scrub()

    def put(self, record: StoredRecord, *, overwrite: bool = True) -> bool:
        # The key check and the write are one statement, so a record can never
        # land after its owner was shredded (PostgreSQL: the shred waits on FOR SHARE).
        changed = self._db.execute(
            self._put[overwrite],
            (
                record.kind,
                record.owner,
                record.rkey,
                record.sealed,
                time.time(),
                record.version,
                record.owner,
            ),
        )
        return changed > 0

    def get(self, kind: str, owner: str, rkey: str) -> StoredRecord | None:
        rows = self._db.query(
            "SELECT sealed, version FROM records WHERE kind = ? AND owner = ? AND rkey = ?",
            (kind, owner, rkey),
        )
        return StoredRecord(kind, owner, rkey, bytes(rows[0][0]), int(rows[0][1])) if rows else None

    def scan(self, kind: str | None = None, owner: str | None = None) -> list[StoredRecord]:
        pairs = (("kind", kind), ("owner", owner))
        where = [(column, value) for column, value in pairs if value is not None]
        clause = " AND ".join(f"{column} = ?" for column, _ in where) or "1 = 1"
        rows = self._db.query(
            f"SELECT kind, owner, rkey, sealed, version FROM records WHERE {clause}"  # noqa: S608
            " ORDER BY kind, owner, rkey",
            tuple(value for _, value in where),
        )
        return [StoredRecord(str(k), str(o), str(r), bytes(s), int(v)) for k, o, r, s, v in rows]

    def delete(self, kind: str, owner: str, rkey: str) -> None:
        self._db.execute(
            "DELETE FROM records WHERE kind = ? AND owner = ? AND rkey = ?", (kind, owner, rkey)
        )
