from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from safety.errors import KeyFileError, ShreddedError, StoreError
from safety.vault import Vault, load_or_create_key_file


@pytest.fixture
def vault(tmp_path: Path) -> Vault:
    keys = load_or_create_key_file(tmp_path / "kek.hex", create=True)
    return Vault(tmp_path / "vault.db", keys)


def test_round_trip(vault: Vault) -> None:
    vault.put("note", "p1", "a", {"text": "hemligt"})
    assert vault.get("note", "p1", "a") == {"text": "hemligt"}


def test_nothing_is_stored_in_plaintext(vault: Vault, tmp_path: Path) -> None:
    vault.put("note", "p1", "key-canary-7f3a", {"text": "canary-5be1d2"})
    vault.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("vault.db*"))
    assert b"canary-5be1d2" not in raw
    assert b"key-canary-7f3a" not in raw


def test_ciphertext_cannot_move_between_owners(vault: Vault, tmp_path: Path) -> None:
    vault.put("note", "p1", "a", {"text": "one"})
    vault.put("note", "p2", "a", {"text": "two"})
    db = sqlite3.connect(tmp_path / "vault.db")
    sealed = db.execute("SELECT sealed FROM records WHERE owner='p1'").fetchone()[0]
    db.execute("UPDATE records SET sealed=? WHERE owner='p2'", (sealed,))
    db.commit()
    with pytest.raises(StoreError):
        vault.get("note", "p2", "a")


def test_shredding_makes_records_unreadable(vault: Vault) -> None:
    vault.put("note", "p1", "a", {"text": "one"})
    vault.shred("p1")
    assert vault.get("note", "p1", "a") is None
    with pytest.raises(ShreddedError):
        vault.put("note", "p1", "b", {"text": "again"})


def test_key_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "kek.hex"
    load_or_create_key_file(path, create=True)
    os.chmod(path, 0o644)
    with pytest.raises(KeyFileError):
        load_or_create_key_file(path, create=False)


def test_missing_key_file_is_not_created_unless_asked(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError):
        load_or_create_key_file(tmp_path / "absent.hex", create=False)


def test_key_provider_repr_hides_key(tmp_path: Path) -> None:
    keys = load_or_create_key_file(tmp_path / "kek.hex", create=True)
    secret_hex = (tmp_path / "kek.hex").read_text().strip()
    assert secret_hex not in repr(keys)


def test_a_first_version_vault_file_upgrades_in_place(tmp_path: Path) -> None:
    from safety.vault.migrations import LATEST, MIGRATIONS

    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    db.executescript(MIGRATIONS[0][1].format(blob="BLOB", real="REAL"))
    db.execute("INSERT INTO schema_version VALUES (1)")
    db.commit()
    db.close()
    keys = load_or_create_key_file(tmp_path / "kek.hex", create=True)
    vault = Vault(path, keys)
    assert vault.store.schema_version() == LATEST
    vault.put("note", "p1", "a", 1)
    vault.close()
    assert Vault(path, keys).get("note", "p1", "a") == 1


def test_vault_urls(tmp_path: Path) -> None:
    from safety.errors import ConfigError
    from safety.vault import open_vault
    from safety.vault.url import redacted

    keys = load_or_create_key_file(tmp_path / "kek.hex", create=True)
    for url in (f"sqlite://{tmp_path}/a.db", f"sqlite:///{tmp_path}/a.db"):
        vault = open_vault(url, keys)
        vault.put("note", "p1", "a", url)
        vault.close()
    assert (tmp_path / "a.db").stat().st_mode & 0o077 == 0
    for bad in ("sqlite://relative.db", "mysql://db/x"):
        with pytest.raises(ConfigError):
            open_vault(bad, keys)
    assert redacted("postgresql://u:secret@h:5432/db") == "postgresql://u@h:5432/db"


def test_a_wrong_wrapping_key_fails_as_a_store_error() -> None:
    from safety.vault import FileKeyProvider

    wrapped = FileKeyProvider(bytes(32), "a").wrap(b"k" * 32, "p1")
    with pytest.raises(StoreError):
        FileKeyProvider(bytes([1]) * 32, "b").unwrap(wrapped, "p1")


def test_a_shred_is_not_finished_while_a_reader_holds_the_wal(
    vault: Vault, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("safety.vault.sqlite.SCRUB_WAIT_MS", 100)
    vault.put("note", "p1", "a", {"text": "one"})
    reader = sqlite3.connect(tmp_path / "vault.db", isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM records").fetchone()  # a snapshot held open
    with pytest.raises(StoreError, match="write-ahead log"):
        vault.shred("p1")
    reader.execute("COMMIT")
    reader.close()
    vault.shred("p1")  # tried again (a forget request stays pending): now it finishes
    wal = tmp_path / "vault.db-wal"
    assert not wal.exists() or wal.stat().st_size == 0
