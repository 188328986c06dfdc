"""One contract, every backend: each test here runs on memory, SQLite and PostgreSQL.

``target`` gives a fresh, empty vault URL plus ``raw``, direct access to the
stored rows that goes around the vault, for tampering and for reading bytes.
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

from safety.vault import FileKeyProvider, open_store
from safety.vault.backend import Checkpoint
from safety.vault.keys import key_id_of
from safety.vault.memory import MemoryStore

BACKENDS = ("memory", "sqlite", "postgresql")


def provider(seed: int = 1) -> FileKeyProvider:
    kek = bytes([seed]) * 32
    return FileKeyProvider(kek, key_id_of(kek))


class SqlRaw:
    """Rows as the database holds them, through a connection of its own."""

    def __init__(self, connect: Any, placeholder: str, files: list[Path] | None) -> None:
        self._db = connect
        self._mark = placeholder
        self._files = files

    def run(self, sql: str, *params: object) -> list[tuple[Any, ...]]:
        cursor = self._db.execute(sql.replace("?", self._mark), params)
        rows = cursor.fetchall() if cursor.description else []
        if isinstance(self._db, sqlite3.Connection):
            self._db.commit()
        return [tuple(bytes(v) if isinstance(v, memoryview) else v for v in row) for row in rows]

    def records(self) -> list[tuple[str, str, str, bytes]]:
        return self.run("SELECT kind, owner, rkey, sealed FROM records ORDER BY kind, owner, rkey")

    def keys(self) -> list[tuple[str, bytes, str, int]]:
        return self.run("SELECT owner, wrapped, kek_id, shredded FROM data_keys ORDER BY owner")

    def set_sealed(self, kind: str, owner: str, rkey: str, sealed: bytes) -> None:
        self.run(
            "UPDATE records SET sealed = ? WHERE kind = ? AND owner = ? AND rkey = ?",
            sealed,
            kind,
            owner,
            rkey,
        )

    def add_record(self, kind: str, owner: str, rkey: str, sealed: bytes) -> None:
        self.run(
            "INSERT INTO records (kind, owner, rkey, sealed, updated) VALUES (?, ?, ?, ?, 0)",
            kind,
            owner,
            rkey,
            sealed,
        )

    def set_wrapped(self, owner: str, wrapped: bytes) -> None:
        self.run("UPDATE data_keys SET wrapped = ? WHERE owner = ?", wrapped, owner)

    def row(self, kind: str, owner: str, rkey: str) -> tuple[bytes, int]:
        """A record's sealed bytes and version, as a backup would hold them."""
        found = self.run(
            "SELECT sealed, version FROM records WHERE kind = ? AND owner = ? AND rkey = ?",
            kind,
            owner,
            rkey,
        )
        return bytes(found[0][0]), int(found[0][1])

    def set_row(self, kind: str, owner: str, rkey: str, sealed: bytes, version: int) -> None:
        self.run(
            "UPDATE records SET sealed = ?, version = ? WHERE kind = ? AND owner = ? AND rkey = ?",
            sealed,
            version,
            kind,
            owner,
            rkey,
        )

    def clear_digest(self, owner: str) -> None:
        self.run("UPDATE data_keys SET digest = NULL WHERE owner = ?", owner)

    def audit(self) -> list[tuple[int, str, str]]:
        return self.run("SELECT seq, body, mac FROM audit_log ORDER BY seq")

    def set_audit(self, seq: int, body: str, mac: str) -> None:
        self.run("UPDATE audit_log SET body = ?, mac = ? WHERE seq = ?", body, mac, seq)

    def delete_audit(self, seq: int) -> None:
        self.run("DELETE FROM audit_log WHERE seq = ?", seq)

    def truncate_audit(self, keep: int) -> None:
        self.run("DELETE FROM audit_log WHERE seq > ?", keep)

    def insert_audit(self, seq: int, body: str, mac: str) -> None:
        # Make room first, as an attacker renumbering the rows after it would.
        self.run("UPDATE audit_log SET seq = -seq - 1 WHERE seq >= ?", seq)
        self.run("UPDATE audit_log SET seq = -seq WHERE seq < 0")
        self.run("INSERT INTO audit_log VALUES (?, ?, ?)", seq, body, mac)

    def checkpoint(self) -> Checkpoint | None:
        rows = self.run("SELECT seq, mac, at, sig FROM audit_checkpoint")
        return Checkpoint(*rows[0]) if rows else None

    def set_checkpoint(self, head: Checkpoint | None) -> None:
        self.run("DELETE FROM audit_checkpoint")
        if head is not None:
            self.run(
                "INSERT INTO audit_checkpoint VALUES (1, ?, ?, ?, ?)",
                head.seq,
                head.mac,
                head.at,
                head.sig,
            )

    def dump(self) -> bytes:
        """Every byte the database holds: its files for SQLite, every row otherwise."""
        if self._files is not None:
            return b"".join(p.read_bytes() for p in self._files if p.exists())
        tables = ("data_keys", "records", "audit_log", "audit_checkpoint", "key_rotations")
        return repr([self.run(f"SELECT * FROM {table}") for table in tables]).encode()  # noqa: S608

    def close(self) -> None:
        self._db.close()


class MemoryRaw(SqlRaw):
    """The same operations on a :class:`MemoryStore`'s public structures."""

    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    def records(self) -> list[tuple[str, str, str, bytes]]:
        return [(k, o, r, s) for (k, o, r), s in sorted(self._store.records.items())]

    def keys(self) -> list[tuple[str, bytes, str, int]]:
        rows = sorted(self._store.keys.values(), key=lambda row: row.owner)
        return [(r.owner, r.wrapped, r.kek_id, int(r.shredded)) for r in rows]

    def set_sealed(self, kind: str, owner: str, rkey: str, sealed: bytes) -> None:
        self._store.records[(kind, owner, rkey)] = sealed

    def add_record(self, kind: str, owner: str, rkey: str, sealed: bytes) -> None:
        self._store.records[(kind, owner, rkey)] = sealed

    def set_wrapped(self, owner: str, wrapped: bytes) -> None:
        from dataclasses import replace

        self._store.keys[owner] = replace(self._store.keys[owner], wrapped=wrapped)

    def row(self, kind: str, owner: str, rkey: str) -> tuple[bytes, int]:
        key = (kind, owner, rkey)
        return self._store.records[key], self._store.versions.get(key, 0)

    def set_row(self, kind: str, owner: str, rkey: str, sealed: bytes, version: int) -> None:
        self._store.records[(kind, owner, rkey)] = sealed
        self._store.versions[(kind, owner, rkey)] = version

    def clear_digest(self, owner: str) -> None:
        self._store.digests.pop(owner, None)

    def audit(self) -> list[tuple[int, str, str]]:
        return [(r.seq, r.body, r.mac) for r in self._store.audit_rows()]

    def set_audit(self, seq: int, body: str, mac: str) -> None:
        from safety.vault.backend import AuditRow

        self._store.audit[seq] = AuditRow(seq, body, mac)

    def delete_audit(self, seq: int) -> None:
        del self._store.audit[seq]

    def truncate_audit(self, keep: int) -> None:
        for seq in [s for s in self._store.audit if s > keep]:
            del self._store.audit[seq]

    def insert_audit(self, seq: int, body: str, mac: str) -> None:
        from safety.vault.backend import AuditRow

        moved = {s + 1 if s >= seq else s: r for s, r in self._store.audit.items()}
        moved = {s: AuditRow(s, r.body, r.mac) for s, r in moved.items()}
        moved[seq] = AuditRow(seq, body, mac)
        self._store.audit = moved

    def checkpoint(self) -> Checkpoint | None:
        return self._store.checkpoint

    def set_checkpoint(self, head: Checkpoint | None) -> None:
        self._store.checkpoint = head

    def dump(self) -> bytes:
        s = self._store
        return repr((s.keys, s.records, s.audit, s.checkpoint, s.rotations)).encode()

    def close(self) -> None:
        """Nothing to close."""


@dataclass
class Target:
    backend: str
    url: str
    raw: SqlRaw


@pytest.fixture(params=BACKENDS)
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Target]:
    backend = request.param
    if backend == "memory":
        url = f"memory://{secrets.token_hex(8)}"
        store = open_store(url)
        assert isinstance(store, MemoryStore)
        raw: SqlRaw = MemoryRaw(store)
    elif backend == "sqlite":
        path = tmp_path / "vault.db"
        url = f"sqlite://{path}"
        open_store(url).close()  # create the schema
        files = [path, path.with_name("vault.db-wal"), path.with_name("vault.db-shm")]
        raw = SqlRaw(sqlite3.connect(path), "?", files)
    else:
        url = request.getfixturevalue("postgres_server").new_database()
        open_store(url).close()
        raw = SqlRaw(psycopg.connect(url, autocommit=True), "%s", None)
    yield Target(backend, url, raw)
    raw.close()
