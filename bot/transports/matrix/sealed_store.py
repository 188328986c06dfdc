"""The bot's Matrix crypto store, kept in memory and sealed on disk.

nio's SQLite store holds device lists, and so the Matrix ids of everyone the
bot talks to, in the clear. Here the database lives in memory; its contents
are written to disk only as an AES-256-GCM sealed snapshot under a key derived
from the vault, after every sync batch, before any Olm-encrypted to-device
message is sent, and at shutdown. Secrets inside it
(Olm and Megolm pickles) are additionally encrypted by nio's pickle key.

A crash loses at most the changes since the last snapshot. The sync position
is saved only after the snapshot, so a replayed batch brings back the
to-device messages (room keys) it contained.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from nio.store import SqliteStore
from peewee import SqliteDatabase

from bot.errors import StoreError
from safety.private_files import write_private

_AAD = b"samtal:nio-store:v1"
_NONCE = 12


class _SealedDatabase(SqliteDatabase):  # type: ignore[misc]
    """An in-memory SQLite database that starts from a snapshot."""

    def __init__(self, snapshot: bytes | None, **kwargs: Any) -> None:
        super().__init__(":memory:", **kwargs)
        self._snapshot = snapshot

    def _connect(self) -> sqlite3.Connection:
        conn: sqlite3.Connection = super()._connect()
        if self._snapshot:
            conn.deserialize(self._snapshot)
            self._add_conn_hooks(conn)  # pragmas apply to the restored database too
            self._snapshot = None
        return conn


class SealedSnapshots:
    """Seal and unseal the snapshot file."""

    def __init__(self, path: Path, key: bytes) -> None:
        self.path = path
        self._aead = AESGCM(key)
        # The connection last sealed and its change count then (see `snapshot`).
        self.sealed_mark: tuple[sqlite3.Connection, int] | None = None

    def load(self) -> bytes | None:
        if not self.path.exists():
            return None
        sealed = self.path.read_bytes()
        try:
            return self._aead.decrypt(sealed[:_NONCE], sealed[_NONCE:], _AAD)
        except Exception as exc:
            raise StoreError("the sealed crypto store does not open with this key") from exc

    def save(self, plain: bytes) -> None:
        nonce = os.urandom(_NONCE)
        write_private(self.path, nonce + self._aead.encrypt(nonce, plain, _AAD))


def sealed_store_class(snapshots: SealedSnapshots) -> type[SqliteStore]:
    """A nio store class bound to one snapshot file (nio builds the store itself)."""

    class SealedSqliteStore(SqliteStore):  # type: ignore[misc]
        def _create_database(self) -> SqliteDatabase:
            return _SealedDatabase(
                snapshots.load(), pragmas={"foreign_keys": 1, "secure_delete": 1}
            )

    return SealedSqliteStore


def snapshot(store: SqliteStore, snapshots: SealedSnapshots) -> None:
    """Seal the current in-memory database to disk, unless nothing changed since the
    last seal. SQLite counts every row any statement inserted, updated or deleted on
    the connection (``total_changes``), and nio changes its store only with such
    statements, so an equal count is an identical database. Most sync batches change
    nothing, and a seal rewrites the whole store, on the event loop."""
    connection: sqlite3.Connection = store.database.connection()
    changes = connection.total_changes
    mark = snapshots.sealed_mark
    if mark is not None and mark[0] is connection and mark[1] == changes:
        return
    snapshots.save(connection.serialize())
    snapshots.sealed_mark = (connection, changes)
