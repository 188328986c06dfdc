"""The tracker store's endpoint options, and the key file it refuses."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from safety.errors import ConfigError, KeyFileError
from safety.tracker_store import JournalLimits, TrackerStoreSettings
from safety.vault import load_or_create_key_file


def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "secrets" / "kek.hex"
    load_or_create_key_file(path, create=True)
    return path


def test_options_from_endpoints(tmp_path: Path) -> None:
    kek = key_file(tmp_path)
    settings = TrackerStoreSettings.from_endpoint(
        f"sqlite:///{tmp_path / 'vault.db'}",
        {"key_file": str(kek), "flush_after": 10, "compact_after": 3},
    )
    assert settings.key_file == kek
    assert settings.limits == JournalLimits(flush_after=10, compact_after=3)
    assert "url" not in repr(settings)  # a PostgreSQL URL can carry a password
    journal = settings.open_journal()
    journal.vault.close()
    assert (tmp_path / "vault.db").stat().st_mode & 0o077 == 0


@pytest.mark.parametrize(
    ("url", "options", "message"),
    [
        (None, {"key_file": "/k"}, "url"),
        ("vault.db", {"key_file": "/k"}, "url"),
        ("sqlite:////v.db", {}, "key_file"),
        ("sqlite:////v.db", {"key_file": "secrets/kek.hex"}, "absolute"),
        ("sqlite:////v.db", {"key_file": "/k", "flush_after": 0}, "flush_after"),
        ("sqlite:////v.db", {"key_file": "/k", "compact_after": "2"}, "compact_after"),
        ("sqlite:////v.db", {"key_file": "/k", "keyfile": "/k"}, "unknown"),
        ("sqlite:////v.db", {"key_file": "/k", "previous_key_files": "/o"}, "list"),
    ],
)
def test_bad_options_are_refused(url: object, options: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        TrackerStoreSettings.from_endpoint(url, options)


def test_a_key_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    kek = key_file(tmp_path)
    os.chmod(kek, 0o644)
    settings = TrackerStoreSettings.from_endpoint(
        f"sqlite:///{tmp_path / 'vault.db'}", {"key_file": str(kek)}
    )
    with pytest.raises(KeyFileError, match="readable by others"):
        settings.open_journal()
    assert not (tmp_path / "vault.db").exists()


def test_a_missing_key_file_is_not_created(tmp_path: Path) -> None:
    settings = TrackerStoreSettings.from_endpoint(
        f"sqlite:///{tmp_path / 'vault.db'}", {"key_file": str(tmp_path / "none.hex")}
    )
    with pytest.raises(KeyFileError, match="does not exist"):
        settings.open_journal()


@pytest.mark.parametrize(("durability", "synchronous"), [("relaxed", 1), ("full", 2)])
def test_durability_applies_to_the_tracker_stores_own_connection(
    tmp_path: Path, durability: str, synchronous: int
) -> None:
    settings = TrackerStoreSettings.from_endpoint(
        f"sqlite:///{tmp_path / 'vault.db'}",
        {"key_file": str(key_file(tmp_path)), "durability": durability},
    )
    journal = settings.open_journal()
    try:
        store: Any = journal.vault.store
        assert store._db.query("PRAGMA synchronous") == [(synchronous,)]  # NORMAL, FULL
        assert store._db.query("PRAGMA journal_mode") == [("wal",)]
    finally:
        journal.vault.close()


def test_unknown_durability_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="durability"):
        TrackerStoreSettings.from_endpoint(
            "sqlite:////v.db", {"key_file": "/k", "durability": "sometimes"}
        )
