"""Versioned schema migrations for the SQLite vault."""

from __future__ import annotations

import sqlite3

_MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE data_keys (
        owner TEXT PRIMARY KEY,
        wrapped BLOB NOT NULL,
        kek_id TEXT NOT NULL,
        created REAL NOT NULL,
        shredded INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE records (
        kind TEXT NOT NULL,
        owner TEXT NOT NULL,
        rkey TEXT NOT NULL,
        sealed BLOB NOT NULL,
        updated REAL NOT NULL,
        PRIMARY KEY (kind, owner, rkey)
    );
    """,
)


def migrate(db: sqlite3.Connection) -> int:
    """Apply pending migrations; return the schema version now in force."""
    db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    row = db.execute("SELECT MAX(version) FROM schema_version").fetchone()
    current = row[0] or 0
    for version, script in enumerate(_MIGRATIONS, start=1):
        if version <= current:
            continue
        db.execute("BEGIN")
        for statement in filter(str.strip, script.split(";")):
            db.execute(statement)
        db.execute("INSERT INTO schema_version VALUES (?)", (version,))
        db.execute("COMMIT")
        current = version
    return int(current)
