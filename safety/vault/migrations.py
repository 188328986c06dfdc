"""Versioned schema migrations, one list for every SQL dialect.

Version 1 is the schema the first SQLite vaults were created with, so those
files upgrade in place. Each migration runs in its own transaction under a
lock, so processes opening a fresh database at the same time apply it once.
"""

from __future__ import annotations

from safety.errors import MigrationError
from safety.vault.driver import Driver

_TYPES = {
    "sqlite": {"blob": "BLOB", "real": "REAL"},
    "postgresql": {"blob": "BYTEA", "real": "DOUBLE PRECISION"},
}

MIGRATIONS: tuple[tuple[str, str], ...] = (
    (
        "data keys and sealed records",
        """
        CREATE TABLE data_keys (
            owner TEXT PRIMARY KEY,
            wrapped {blob} NOT NULL,
            kek_id TEXT NOT NULL,
            created {real} NOT NULL,
            shredded INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE records (
            kind TEXT NOT NULL,
            owner TEXT NOT NULL,
            rkey TEXT NOT NULL,
            sealed {blob} NOT NULL,
            updated {real} NOT NULL,
            PRIMARY KEY (kind, owner, rkey)
        )
        """,
    ),
    ("records by owner, for shredding and export", "CREATE INDEX records_owner ON records (owner)"),
    (
        "audit chain and its signed head",
        """
        CREATE TABLE audit_log (
            seq INTEGER PRIMARY KEY,
            body TEXT NOT NULL,
            mac TEXT NOT NULL
        );
        CREATE TABLE audit_checkpoint (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            seq INTEGER NOT NULL,
            mac TEXT NOT NULL,
            at {real} NOT NULL,
            sig TEXT NOT NULL
        )
        """,
    ),
    (
        "key rotation progress",
        """
        CREATE TABLE key_rotations (
            new_kek_id TEXT PRIMARY KEY,
            old_kek_id TEXT NOT NULL,
            started {real} NOT NULL,
            finished {real},
            rewrapped INTEGER NOT NULL DEFAULT 0
        )
        """,
    ),
    (
        # Records from before this step keep version 0 and the older associated
        # data; each moves to the versioned format on its next write.
        "a version per record, sealed into its associated data",
        "ALTER TABLE records ADD COLUMN version INTEGER NOT NULL DEFAULT 0",
    ),
    (
        # NULL for owners from before this step until Vault.cover_records() runs.
        "each owner's record digest",
        "ALTER TABLE data_keys ADD COLUMN digest {blob}",
    ),
)

LATEST = len(MIGRATIONS)


def _current(db: Driver) -> int:
    row = db.query("SELECT MAX(version) FROM schema_version")
    return int(row[0][0] or 0)


def migrate(db: Driver) -> int:
    """Apply pending migrations; return the schema version now in force."""
    types = _TYPES[db.dialect]
    with db.transaction(lock="samtal:migrate"):
        db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    for version, (_name, script) in enumerate(MIGRATIONS, start=1):
        with db.transaction(lock="samtal:migrate"):
            current = _current(db)
            if current > LATEST:
                raise MigrationError(f"database schema {current} is newer than this code")
            if version <= current:
                continue
            for statement in filter(str.strip, script.format(**types).split(";")):
                db.execute(statement)
            db.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))
    return _current(db)
