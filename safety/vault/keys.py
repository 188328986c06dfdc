"""Key-encryption keys (KEK): where the root secret comes from.

The KEK never encrypts data directly; it only wraps per-owner data keys, so a
KMS or HSM can replace :class:`FileKeyProvider` without touching stored data.
Every wrapped key is stored with the ``key_id`` of the KEK that wrapped it,
which is what lets rotation find the keys still under an old KEK.
"""

from __future__ import annotations

import os
import secrets
import stat
from hashlib import sha256
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from safety.errors import KeyFileError, StoreError
from safety.private_files import create_private

KEY_BYTES = 32
_WRAP_AAD = b"samtal:data-key-wrap:v1:"


class KeyProvider(Protocol):
    """Wraps and unwraps data keys; the only holder of the root secret.

    ``owner`` must be bound to the wrapped key (as associated data or the KMS
    encryption context), so a wrapped key copied to another owner fails.
    """

    @property
    def key_id(self) -> str: ...

    def wrap(self, data_key: bytes, owner: str) -> bytes: ...

    def unwrap(self, wrapped: bytes, owner: str) -> bytes: ...


class FileKeyProvider:
    """A KEK held in process memory, loaded from a 0600 key file."""

    def __init__(self, kek: bytes, key_id: str) -> None:
        if len(kek) != KEY_BYTES:
            raise KeyFileError("key-encryption key must be 32 bytes")
        self._aead = AESGCM(kek)
        self._key_id = key_id

    @property
    def key_id(self) -> str:
        return self._key_id

    def wrap(self, data_key: bytes, owner: str) -> bytes:
        nonce = os.urandom(12)
        return nonce + self._aead.encrypt(nonce, data_key, _WRAP_AAD + owner.encode())

    def unwrap(self, wrapped: bytes, owner: str) -> bytes:
        try:
            return self._aead.decrypt(wrapped[:12], wrapped[12:], _WRAP_AAD + owner.encode())
        except InvalidTag as exc:
            raise StoreError("data key failed authentication") from exc

    def __repr__(self) -> str:  # never show key material
        return f"FileKeyProvider(key_id={self._key_id!r})"


def key_id_of(kek: bytes) -> str:
    """A public fingerprint of a KEK; a one-way hash, so it reveals nothing."""
    return sha256(b"kid" + kek).hexdigest()[:12]


def _check_private(path: Path) -> None:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyFileError(f"{path} is readable by others; run: chmod 600 {path}")


def load_or_create_key_file(path: Path, *, create: bool) -> FileKeyProvider:
    """Load the KEK from ``path`` (hex), creating it with mode 0600 if allowed."""
    if not path.exists():
        if not create:
            raise KeyFileError(f"key file {path} does not exist")
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        create_private(path, secrets.token_hex(KEY_BYTES) + "\n")
    _check_private(path)
    try:
        kek = bytes.fromhex(path.read_text().strip())
    except ValueError as exc:
        raise KeyFileError(f"{path} does not hold a hex key") from exc
    return FileKeyProvider(kek, key_id=key_id_of(kek))
