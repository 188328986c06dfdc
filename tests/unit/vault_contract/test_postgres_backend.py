"""What only the PostgreSQL backend has: its files on disk, psycopg2, and start time."""

from __future__ import annotations

import subprocess
from pathlib import Path

import psycopg
from conftest import provider

from safety.vault import open_vault
from tests.support.postgres_fixtures import RunningPostgres

PROJECT = Path(__file__).resolve().parents[3]

_RASA_SIDE = """
import sys
from safety.vault import FileKeyProvider, open_vault
from safety.vault.keys import key_id_of
kek = bytes([1]) * 32
vault = open_vault(sys.argv[1], FileKeyProvider(kek, key_id_of(kek)))
print(vault.get("tracker", "p1", "s1")["events"])
vault.put("tracker", "p1", "s2", {"events": ["from rasa"]})
print(sys.version_info[:2], "psycopg" in sys.modules, "psycopg2" in sys.modules)
"""


def test_the_server_started_quickly(postgres_server: RunningPostgres) -> None:
    assert postgres_server.start_seconds < 30


def test_a_shredded_key_leaves_the_table_files(postgres_server: RunningPostgres) -> None:
    url = postgres_server.new_database()
    vault = open_vault(url, provider())
    for n in range(10):
        vault.put("note", f"p{n}", "a", {"n": n})
    with psycopg.connect(url, autocommit=True) as db:
        wrapped = db.execute("SELECT wrapped FROM data_keys WHERE owner = 'p3'").fetchone()[0]
        vault.shred("p3")
        db.execute("CHECKPOINT")
    tables = b"".join(
        p.read_bytes() for p in (postgres_server.data_dir / "base").rglob("*") if p.is_file()
    )
    assert wrapped not in tables


def test_the_rasa_environment_uses_the_same_store_through_psycopg2(
    postgres_server: RunningPostgres,
) -> None:
    url = postgres_server.new_database()
    vault = open_vault(url, provider())
    vault.put("tracker", "p1", "s1", {"events": ["from the gateway"]})
    python = PROJECT / ".venv-rasa" / "bin" / "python"
    assert python.exists(), "the Rasa environment is missing: run `make setup`"
    result = subprocess.run(
        [str(python), "-c", _RASA_SIDE, url],
        capture_output=True,
        text=True,
        cwd=PROJECT,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.splitlines() == ["['from the gateway']", "(3, 10) False True"]
    assert vault.get("tracker", "p1", "s2") == {"events": ["from rasa"]}
