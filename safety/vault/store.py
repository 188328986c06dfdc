"""The vault: records sealed with AES-256-GCM under per-owner data keys.

Each owner (a participant pseudonym, or ``_system`` for the gateway's own state)
has one random data key, stored only wrapped by the key provider. Destroying
that wrapped key (``shred``) makes every copy of the owner's records unreadable,
backups included. Record keys are stored as keyed hashes, so the database holds
no identifier in the clear.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from safety.errors import ShreddedError, StoreError
from safety.vault.keys import KeyProvider
from safety.vault.migrations import migrate

SYSTEM_OWNER = "_system"
_NONCE = 12


class Vault:
    def __init__(self, path: Path, keys: KeyProvider) -> None:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        os.chmod(path, 0o600)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA busy_timeout=5000")
        migrate(self._db)
        self._keys = keys
        self._index_key = keys.derive("samtal:vault-index:v1")
        self._aeads: dict[str, AESGCM] = {}
        self._lock = threading.Lock()

    def close(self) -> None:
        self._db.close()

    def derived_key(self, purpose: str) -> bytes:
        """A stable key for one purpose, derived from the key provider."""
        return self._keys.derive(purpose)

    def index(self, kind: str, key: str) -> str:
        """The stored, keyed hash of a record key."""
        mac = hmac.new(self._index_key, f"{kind}\0{key}".encode(), hashlib.sha256)
        return mac.hexdigest()

    def _aead(self, owner: str, *, create: bool) -> AESGCM:
        cached = self._aeads.get(owner)
        if cached is not None:
            return cached
        with self._lock:
            row = self._db.execute(
                "SELECT wrapped, shredded FROM data_keys WHERE owner = ?", (owner,)
            ).fetchone()
            if row is not None and row[1]:
                raise ShreddedError("owner's data key was destroyed")
            if row is None:
                if not create:
                    raise KeyError(owner)
                data_key = AESGCM.generate_key(bit_length=256)
                self._db.execute(
                    "INSERT INTO data_keys(owner, wrapped, kek_id, created, shredded)"
                    " VALUES (?, ?, ?, ?, 0)",
                    (owner, self._keys.wrap(data_key, owner), self._keys.key_id, time.time()),
                )
            else:
                data_key = self._keys.unwrap(row[0], owner)
            aead = AESGCM(data_key)
            self._aeads[owner] = aead
            return aead

    def put(self, kind: str, owner: str, key: str, value: Any) -> None:
        rkey = self.index(kind, key)
        nonce = os.urandom(_NONCE)
        aad = f"{kind}\0{owner}\0{rkey}".encode()
        sealed = nonce + self._aead(owner, create=True).encrypt(
            nonce, json.dumps(value, separators=(",", ":")).encode(), aad
        )
        self._db.execute(
            "INSERT INTO records(kind, owner, rkey, sealed, updated) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT(kind, owner, rkey) DO UPDATE SET sealed = excluded.sealed,"
            " updated = excluded.updated",
            (kind, owner, rkey, sealed, time.time()),
        )

    def get(self, kind: str, owner: str, key: str) -> Any | None:
        rkey = self.index(kind, key)
        row = self._db.execute(
            "SELECT sealed FROM records WHERE kind = ? AND owner = ? AND rkey = ?",
            (kind, owner, rkey),
        ).fetchone()
        if row is None:
            return None
        return self._open(kind, owner, rkey, row[0])

    def items(self, kind: str, owner: str | None = None) -> Iterator[tuple[str, Any]]:
        """Yield (owner, value) for every readable record of ``kind``."""
        query = "SELECT owner, rkey, sealed FROM records WHERE kind = ?"
        args: tuple[str, ...] = (kind,)
        if owner is not None:
            query += " AND owner = ?"
            args = (kind, owner)
        for row_owner, rkey, sealed in self._db.execute(query, args).fetchall():
            try:
                yield row_owner, self._open(kind, row_owner, rkey, sealed)
            except ShreddedError:
                continue

    def delete(self, kind: str, owner: str, key: str) -> None:
        self._db.execute(
            "DELETE FROM records WHERE kind = ? AND owner = ? AND rkey = ?",
            (kind, owner, self.index(kind, key)),
        )

    def shred(self, owner: str) -> None:
        """Destroy the owner's data key, then drop their records."""
        with self._lock:
            self._db.execute(
                "UPDATE data_keys SET wrapped = X'', shredded = 1 WHERE owner = ?", (owner,)
            )
            self._db.execute("DELETE FROM records WHERE owner = ?", (owner,))
            self._aeads.pop(owner, None)

    def _open(self, kind: str, owner: str, rkey: str, sealed: bytes) -> Any:
        try:
            aead = self._aead(owner, create=False)
        except KeyError as exc:
            raise StoreError("record without a data key") from exc
        aad = f"{kind}\0{owner}\0{rkey}".encode()
        try:
            plain = aead.decrypt(sealed[:_NONCE], sealed[_NONCE:], aad)
        except InvalidTag as exc:
            raise StoreError("record failed authentication") from exc
        return json.loads(plain)
