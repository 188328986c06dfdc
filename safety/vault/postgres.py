"""The PostgreSQL backend, on psycopg 3 or, where only that is installed, psycopg2.

The gateway's environment has psycopg 3; the Rasa environment (Python 3.10) has
psycopg2-binary, which Rasa's own SQL tracker store pulls in. Both speak the
same DB-API subset used here, in autocommit mode with explicit transactions.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from safety.errors import StoreError
from safety.vault.driver import lock_number
from safety.vault.sql import SqlStore


def _connect(url: str) -> tuple[Any, tuple[type[BaseException], ...]]:
    try:
        psycopg: Any = importlib.import_module("psycopg")
    except ImportError:
        psycopg = None
    if psycopg is not None:
        errors = (psycopg.Error,)
        try:
            return psycopg.connect(url, autocommit=True), errors
        except psycopg.Error as exc:
            raise StoreError(f"cannot connect to PostgreSQL: {type(exc).__name__}") from exc
    try:
        psycopg2: Any = importlib.import_module("psycopg2")
    except ImportError as exc:
        raise StoreError("a postgresql:// vault needs psycopg (3) or psycopg2") from exc
    try:
        connection = psycopg2.connect(url)
    except psycopg2.Error as exc:
        raise StoreError(f"cannot connect to PostgreSQL: {type(exc).__name__}") from exc
    connection.autocommit = True
    return connection, (psycopg2.Error,)


class PostgresDriver:
    dialect = "postgresql"
    # A put locks the owner's key row, so a concurrent shred waits for it and
    # then deletes the record too, instead of leaving it behind, and two writes
    # of one owner cannot both move their record digest from the same value.
    for_update = " FOR UPDATE"

    def __init__(self, url: str) -> None:
        self._db, self._errors = _connect(url)
        self._lock = threading.RLock()

    def _run(self, sql: str, params: Sequence[object]) -> Any:
        cursor = self._db.cursor()
        try:
            cursor.execute(sql.replace("?", "%s"), tuple(params))
        except self._errors as exc:
            # The message of a PostgreSQL error can quote row values; keep only its kind.
            code = getattr(exc, "sqlstate", None) or getattr(exc, "pgcode", None)
            raise StoreError(f"vault statement failed: {type(exc).__name__} {code}") from exc
        return cursor

    def query(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            cursor = self._run(sql, params)
            try:
                return [tuple(row) for row in cursor.fetchall()]
            finally:
                cursor.close()

    def execute(self, sql: str, params: Sequence[object] = ()) -> int:
        with self._lock:
            cursor = self._run(sql, params)
            try:
                return int(cursor.rowcount)
            finally:
                cursor.close()

    @contextmanager
    def transaction(self, lock: str | None = None) -> Iterator[None]:
        with self._lock:
            self.execute("BEGIN")
            try:
                if lock is not None:
                    self.query("SELECT pg_advisory_xact_lock(?)", (lock_number(lock),))
                yield
            except BaseException:
                self.execute("ROLLBACK")
                raise
            self.execute("COMMIT")

    def scrub(self) -> None:
        # Removes the dead row version from the table; PostgreSQL's WAL still holds
        # it until recycled, which is why a shred is final only with the KEK retired.
        self.execute("VACUUM data_keys")

    def close(self) -> None:
        with self._lock:
            self._db.close()


def postgres_store(url: str) -> SqlStore:
    return SqlStore(PostgresDriver(url))
