"""The few database operations the SQL backends need, whatever the driver."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol


class Driver(Protocol):
    """One connection, serialised by the driver; SQL uses ``?`` placeholders."""

    dialect: str
    #: appended to a select of an owner's key row inside a write transaction, so
    #: that owner's writes run one after another
    for_update: str

    def query(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]: ...

    def execute(self, sql: str, params: Sequence[object] = ()) -> int:
        """Run one statement; return the number of rows it changed."""
        ...

    def transaction(self, lock: str | None = None) -> AbstractContextManager[None]:
        """A write transaction; ``lock`` names work that must not run twice at once."""
        ...

    def scrub(self) -> None:
        """Push destroyed rows out of the engine's own logs and free space, as far
        as the engine allows (called after a shred, outside any transaction)."""
        ...

    def close(self) -> None: ...


def lock_number(name: str) -> int:
    """A stable signed 64-bit number for a lock name (PostgreSQL advisory locks)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
