"""Opening a vault from a URL: ``sqlite:///path``, ``postgresql://…`` or ``memory://name``."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

from safety.errors import ConfigError
from safety.vault.backend import Backend
from safety.vault.keys import KeyProvider
from safety.vault.memory import MemoryStore
from safety.vault.store import Vault

_MEMORY: dict[str, MemoryStore] = {}
_MEMORY_LOCK = threading.Lock()


def _sqlite_path(url: str) -> Path:
    rest = url[len("sqlite://") :]
    # sqlite:///abs/path and SQLAlchemy's sqlite:////abs/path both mean /abs/path
    if not rest.startswith("/"):
        raise ConfigError("a sqlite vault URL needs an absolute path: sqlite:///path/to/vault.db")
    return Path("/" + rest.lstrip("/"))


def open_store(url: str) -> Backend:
    """The backend a URL names; ``memory://name`` is shared within one process."""
    scheme = url.split(":", 1)[0].lower()
    if scheme == "sqlite":
        from safety.vault.sqlite import sqlite_store

        return sqlite_store(_sqlite_path(url))
    if scheme in ("postgresql", "postgres"):
        from safety.vault.postgres import postgres_store

        return postgres_store(url)
    if scheme == "memory":
        with _MEMORY_LOCK:
            return _MEMORY.setdefault(url, MemoryStore())
    raise ConfigError("vault URL must start with sqlite://, postgresql:// or memory://")


def open_vault(url: str, keys: KeyProvider, *, previous: Sequence[KeyProvider] = ()) -> Vault:
    return Vault(open_store(url), keys, previous=previous)


def check_records(url: str, keys: KeyProvider) -> list[str]:
    """Owners whose records do not match their record digest (read only)."""
    vault = open_vault(url, keys)
    try:
        return vault.verify_records()
    finally:
        vault.close()


def redacted(url: str) -> str:
    """The URL without its password, for logs and reports."""
    head, sep, tail = url.partition("@")
    if not sep or "://" not in head:
        return url
    scheme, _, credentials = head.partition("://")
    return f"{scheme}://{credentials.split(':', 1)[0]}@{tail}"
