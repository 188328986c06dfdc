"""The vault backend the tracker store writes through, and how durable its commits are.

``full`` is the vault's own setting: every commit is on disk before Rasa
answers (SQLite ``synchronous=FULL``, PostgreSQL's default). ``relaxed`` keeps
every commit safe from a crash of Rasa itself but lets the database flush
later: SQLite ``synchronous=NORMAL`` in WAL mode, PostgreSQL
``synchronous_commit=off``. A power cut can then lose the newest turns of a
tracker, never corrupt it. Both settings apply to this connection only: the
gateway's writes to the same database stay fully synchronous.
"""

from __future__ import annotations

from typing import Literal

from safety.errors import ConfigError
from safety.vault.backend import Backend
from safety.vault.postgres import PostgresDriver
from safety.vault.sql import SqlStore
from safety.vault.sqlite import SqliteDriver
from safety.vault.url import _sqlite_path, open_store

Durability = Literal["full", "relaxed"]
DURABILITIES: tuple[Durability, ...] = ("full", "relaxed")


def open_tracker_backend(url: str, durability: Durability) -> Backend:
    scheme = url.split(":", 1)[0].lower()
    if durability not in DURABILITIES:
        raise ConfigError("tracker_store.durability must be full or relaxed")
    if durability == "full" or scheme not in ("sqlite", "postgresql", "postgres"):
        return open_store(url)
    if scheme == "sqlite":
        sqlite = SqliteDriver(_sqlite_path(url))
        sqlite.execute("PRAGMA synchronous=NORMAL")
        return SqlStore(sqlite)
    postgres = PostgresDriver(url)
    postgres.execute("SET synchronous_commit = off")
    return SqlStore(postgres)
