"""The vault: records sealed with AES-256-GCM under per-owner data keys.

Each owner (a participant pseudonym, or ``_system`` for the gateway's own state)
has one random data key, stored only wrapped by the key provider. Destroying
that wrapped key (``shred``) makes every copy of the owner's records unreadable,
backups included. Record keys are stored as keyed hashes, so the database holds
no identifier in the clear. Long-lived sub-keys (index, pseudonyms, audit MAC)
come from a random secret kept like any data key, under the reserved owner
``_vault``: rotating the KEK re-wraps it and so leaves them unchanged.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from safety.errors import ShreddedError, StoreError, UnknownKekError
from safety.vault.backend import EMPTY_DIGEST, Backend, StoredRecord, Tagger, xor
from safety.vault.keys import KeyProvider
from safety.vault.sqlite import sqlite_store

SYSTEM_OWNER = "_system"
ROOT_OWNER = "_vault"
_NONCE = 12
_REFUSED = (
    "record failed authentication: it was altered, moved from another record, or"
    " replaced by an older copy of itself; it was left as it is"
)


def _associated_data(kind: str, owner: str, rkey: str, version: int) -> bytes:
    """What a sealed record is bound to. Version 0 is the format from before
    versions; from 1 on the version is bound too, so that putting back an older
    copy of the same record fails, as moving one between records always did."""
    if version == 0:
        return f"{kind}\0{owner}\0{rkey}".encode()
    return f"{kind}\0{owner}\0{rkey}\0{version}".encode()


@dataclass(frozen=True)
class _DataKey:
    aead: AESGCM
    secret: bytes = field(repr=False)
    #: keys the owner's record digest (a sub-key, not the encryption key itself)
    digest_key: bytes = field(repr=False)


class Vault:
    def __init__(
        self, target: Path | Backend, keys: KeyProvider, *, previous: Sequence[KeyProvider] = ()
    ) -> None:
        """Open a vault on a backend (a path means the embedded SQLite file).

        ``previous`` KEKs can still unwrap data keys that an unfinished rotation
        has not reached yet; new keys are always wrapped under ``keys``.
        """
        self._store: Backend = sqlite_store(target) if isinstance(target, Path) else target
        self._keys = keys
        self._unwrappers = {provider.key_id: provider for provider in (*previous, keys)}
        self._cache: dict[str, _DataKey] = {}
        self._root = self._data_key(ROOT_OWNER).secret
        self._index_key = self.derived_key("samtal:vault-index:v1")

    @property
    def store(self) -> Backend:
        return self._store

    def close(self) -> None:
        self._cache.clear()
        self._store.close()

    def derived_key(self, purpose: str) -> bytes:
        """A stable 32-byte key for one purpose; it survives KEK rotation."""
        hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode())
        return hkdf.derive(self._root)

    def index(self, kind: str, key: str) -> str:
        """The stored, keyed hash of a record key."""
        mac = hmac.new(self._index_key, f"{kind}\0{key}".encode(), hashlib.sha256)
        return mac.hexdigest()

    def subject_tag(self, owner: str) -> str:
        """A tag for the owner that only their data key can link: after a shred,
        audit entries carrying it no longer point to anyone."""
        mac = hmac.new(self._data_key(owner).secret, b"samtal:audit-subject:v1", hashlib.sha256)
        return mac.hexdigest()[:32]

    def is_shredded(self, owner: str) -> bool:
        """Whether ``owner``'s data key was destroyed (nothing of theirs can be written)."""
        row = self._store.key(owner)
        return row is not None and row.shredded

    def ensure_key(self, owner: str) -> None:
        """Load or create the owner's data key now, outside any later transaction."""
        self._data_key(owner)

    def _data_key(self, owner: str, *, create: bool = True) -> _DataKey:
        cached = self._cache.get(owner)
        if cached is not None:
            return cached
        row = self._store.key(owner)
        if row is None:
            if not create:
                raise StoreError("record without a data key")
            fresh = AESGCM.generate_key(bit_length=256)
            row = self._store.create_key(owner, self._keys.wrap(fresh, owner), self._keys.key_id)
        if row.shredded:
            raise ShreddedError("owner's data key was destroyed")
        provider = self._unwrappers.get(row.kek_id)
        if provider is None:
            raise UnknownKekError(
                f"a data key is wrapped under KEK {row.kek_id}, which this process does not"
                " hold; finish `samtal keys rotate` or pass the previous key"
            )
        secret = provider.unwrap(row.wrapped, owner)
        digest_key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"samtal:record-digest:v1"
        ).derive(secret)
        key = _DataKey(AESGCM(secret), secret, digest_key)
        self._cache[owner] = key
        return key

    def seal(self, kind: str, owner: str, rkey: str, value: Any, version: int = 0) -> bytes:
        """Encrypt ``value`` bound to (kind, owner, rkey, version) by associated data."""
        nonce = os.urandom(_NONCE)
        plain = json.dumps(value, separators=(",", ":")).encode()
        aad = _associated_data(kind, owner, rkey, version)
        return nonce + self._data_key(owner).aead.encrypt(nonce, plain, aad)

    def unseal(self, kind: str, owner: str, rkey: str, sealed: bytes, version: int = 0) -> Any:
        aad = _associated_data(kind, owner, rkey, version)
        try:
            plain = self._data_key(owner, create=False).aead.decrypt(
                sealed[:_NONCE], sealed[_NONCE:], aad
            )
        except InvalidTag as exc:
            raise StoreError(_REFUSED) from exc
        return json.loads(plain)

    def _open(self, record: StoredRecord) -> Any:
        return self.unseal(record.kind, record.owner, record.rkey, record.sealed, record.version)

    def put(self, kind: str, owner: str, key: str, value: Any) -> None:
        self._write(kind, owner, key, value, overwrite=True)

    def append(self, kind: str, owner: str, key: str, value: Any) -> None:
        """Store a record that must never be replaced (ledgers, history)."""
        self._write(kind, owner, key, value, overwrite=False)

    def _write(self, kind: str, owner: str, key: str, value: Any, *, overwrite: bool) -> None:
        rkey = self.index(kind, key)
        self._data_key(owner)  # a new owner's key is made before the write begins

        def seal(version: int) -> bytes:
            return self.seal(kind, owner, rkey, value, version)

        if self._store.put(kind, owner, rkey, seal, overwrite=overwrite, tag=self._tagger(owner)):
            return
        row = self._store.key(owner)
        if row is None or row.shredded:
            self._cache.pop(owner, None)
            raise ShreddedError("owner's data key was destroyed")
        raise StoreError("an append-only record with this key already exists")

    def get(self, kind: str, owner: str, key: str) -> Any | None:
        record = self._store.get(kind, owner, self.index(kind, key))
        return None if record is None else self._open(record)

    def items(
        self,
        kind: str,
        owner: str | None = None,
        *,
        unreadable: Callable[[StoreError], None] | None = None,
    ) -> Iterator[tuple[str, Any]]:
        """Yield (owner, value) for every readable record of ``kind``.

        A record that fails authentication raises, unless ``unreadable`` is
        given: then it is told, the record is left where it is and the others
        are still read (for lists of independent tasks, where one bad record must
        not hold up the rest)."""
        for record in self._store.scan(kind, owner):
            try:
                yield record.owner, self._open(record)
            except ShreddedError:
                continue
            except StoreError as exc:
                if unreadable is None:
                    raise
                unreadable(exc)

    def owners(self, kind: str) -> list[str]:
        """Who holds a record of ``kind``, read without unsealing anything (a
        shredded owner's records may still be listed until they are deleted)."""
        return sorted({record.owner for record in self._store.scan(kind)})

    def records_of(self, owner: str) -> list[tuple[str, Any]]:
        """(kind, value) for every readable record of one owner, all kinds."""
        return [(record.kind, self._open(record)) for record in self._store.scan(owner=owner)]

    def delete(self, kind: str, owner: str, key: str) -> None:
        self._store.delete(kind, owner, self.index(kind, key), tag=self._tagger(owner))

    def _tagger(self, owner: str) -> Tagger:
        """Tags for the owner's record digest. The key is fetched only when a tag
        is made: deleting from an owner without records needs no key."""

        def tag(kind: str, rkey: str, version: int) -> bytes:
            key = self._data_key(owner, create=False).digest_key
            return hmac.new(key, f"{kind}\0{rkey}\0{version}".encode(), hashlib.sha256).digest()

        return tag

    def _digest_of(self, owner: str, rows: list[tuple[str, str, int]]) -> bytes:
        tag = self._tagger(owner)
        digest = EMPTY_DIGEST
        for kind, rkey, version in rows:
            digest = xor(digest, tag(kind, rkey, version))
        return digest

    def verify_records(self) -> list[str]:
        """Owners whose records are not the ones their digest was moved to: a
        record put back whole (sealed copy and version) from an older state, or
        added or removed around the vault. Changes nothing.

        Putting back *every* record of an owner together with their digest, or
        the whole database, is not caught here; the published audit head is what
        catches an older database."""
        mismatched = []
        for owner in self._store.live_owners():
            digest, rows = self._store.record_versions(owner)
            if digest is not None and not hmac.compare_digest(digest, self._digest_of(owner, rows)):
                mismatched.append(owner)
        return mismatched

    def cover_records(self) -> int:
        """Start keeping a record digest for owners from before digests, from
        their records as they stand now; returns how many were covered."""
        covered = 0
        for owner in self._store.live_owners():

            def digest_of(rows: list[tuple[str, str, int]], owner: str = owner) -> bytes:
                return self._digest_of(owner, rows)

            covered += self._store.cover(owner, digest_of)
        return covered

    def shred(self, owner: str) -> None:
        """Destroy the owner's data key, then drop their records."""
        if owner.startswith("_"):
            raise StoreError("the vault's own keys cannot be shredded")
        self._store.shred(owner)
        self._cache.pop(owner, None)
