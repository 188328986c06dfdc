"""Journal fixtures: a vault on each backend (PostgreSQL too), and a conversation."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from safety.vault import Vault, open_vault
from tests.support.postgres_fixtures import RunningPostgres
from tests.unit.tracker_store.helpers import Conversation, provider


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def vault(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Vault]:
    if request.param == "memory":
        url = f"memory://tracker-{secrets.token_hex(6)}"
    elif request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'vault.db'}"
    else:
        postgres: RunningPostgres = request.getfixturevalue("postgres_server")
        url = postgres.new_database("tracker")
    opened = open_vault(url, provider())
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def talk() -> Conversation:
    return Conversation()
