"""The vault's store over any SQL :class:`Driver`: data keys and sealed records.

SQLite and PostgreSQL share these statements; the drivers differ only in
placeholders, locking and how a write transaction starts.
"""

from __future__ import annotations

import time

from safety.errors import StoreError
from safety.vault.backend import (
    EMPTY_DIGEST,
    DigestOf,
    KeyRow,
    Sealer,
    StoredRecord,
    Tagger,
    xor,
)
from safety.vault.driver import Driver
from safety.vault.migrations import migrate
from safety.vault.sql_log import SqlAudit, SqlRotation, key_row


class SqlStore(SqlAudit, SqlRotation):
    def __init__(self, db: Driver) -> None:
        self._db = db
        # Built once from constants: the only variable part is the driver's lock clause.
        # Taking the owner's key row puts every write of theirs (and of their record
        # digest) one after another, and makes a concurrent shred wait for the write.
        self._owner_row = (
            "SELECT digest FROM data_keys WHERE owner = ? AND shredded = 0"  # noqa: S608
            + db.for_update
        )
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
            "INSERT INTO data_keys (owner, wrapped, kek_id, created, shredded, digest)"
            " VALUES (?, ?, ?, ?, 0, ?) ON CONFLICT (owner) DO NOTHING",
            (owner, wrapped, kek_id, time.time(), EMPTY_DIGEST),
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
        where = (kind, owner, rkey)
        with self._db.transaction():
            keys = self._db.query(self._owner_row, (owner,))
            if not keys:
                return False  # no live key: never a record after a shred
            found = self._db.query(
                "SELECT version FROM records WHERE kind = ? AND owner = ? AND rkey = ?", where
            )
            if found and not overwrite:
                return False
            old = int(found[0][0]) if found else 0
            # Sealed here, with the owner's writes held back, so the version is
            # the stored one plus one: no two writers ever seal the same version.
            version = old + 1
            sealed = seal(version)
            if found:
                self._db.execute(
                    "UPDATE records SET sealed = ?, updated = ?, version = ?"
                    " WHERE kind = ? AND owner = ? AND rkey = ?",
                    (sealed, time.time(), version, *where),
                )
            else:
                self._db.execute(
                    "INSERT INTO records (kind, owner, rkey, sealed, updated, version)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (*where, sealed, time.time(), version),
                )
            digest = keys[0][0]
            if digest is not None and tag is not None:
                moved = xor(bytes(digest), tag(kind, rkey, version))
                if found:
                    moved = xor(moved, tag(kind, rkey, old))
                self._set_digest(owner, moved)
        return True

    def _set_digest(self, owner: str, digest: bytes) -> None:
        self._db.execute("UPDATE data_keys SET digest = ? WHERE owner = ?", (digest, owner))

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

    def delete(self, kind: str, owner: str, rkey: str, tag: Tagger | None = None) -> None:
        with self._db.transaction():
            keys = self._db.query(self._owner_row, (owner,))
            found = self._db.query(
                "SELECT version FROM records WHERE kind = ? AND owner = ? AND rkey = ?",
                (kind, owner, rkey),
            )
            if not found:
                return
            self._db.execute(
                "DELETE FROM records WHERE kind = ? AND owner = ? AND rkey = ?", (kind, owner, rkey)
            )
            if keys and keys[0][0] is not None and tag is not None:
                self._set_digest(owner, xor(bytes(keys[0][0]), tag(kind, rkey, int(found[0][0]))))

    def live_owners(self) -> list[str]:
        rows = self._db.query("SELECT owner FROM data_keys WHERE shredded = 0 ORDER BY owner")
        return [str(row[0]) for row in rows]

    def record_versions(self, owner: str) -> tuple[bytes | None, list[tuple[str, str, int]]]:
        # One statement, so the digest and the rows are read as of one moment.
        rows = self._db.query(
            "SELECT d.digest, r.kind, r.rkey, r.version FROM data_keys d"
            " LEFT JOIN records r ON r.owner = d.owner WHERE d.owner = ? AND d.shredded = 0"
            " ORDER BY r.kind, r.rkey",
            (owner,),
        )
        if not rows:
            return None, []
        digest = None if rows[0][0] is None else bytes(rows[0][0])
        versions = [(str(k), str(r), int(v)) for _, k, r, v in rows if k is not None]
        return digest, versions

    def cover(self, owner: str, digest_of: DigestOf) -> bool:
        with self._db.transaction():
            keys = self._db.query(self._owner_row, (owner,))
            if not keys or keys[0][0] is not None:
                return False
            rows = self._db.query(
                "SELECT kind, rkey, version FROM records WHERE owner = ? ORDER BY kind, rkey",
                (owner,),
            )
            self._set_digest(owner, digest_of([(str(k), str(r), int(v)) for k, r, v in rows]))
        return True
