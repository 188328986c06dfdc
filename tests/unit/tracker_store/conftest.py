"""Journal fixtures: a vault on each backend, and a conversation to store."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from safety.vault import Vault, open_vault
from tests.unit.tracker_store.helpers import Conversation, provider


@pytest.fixture(params=["memory", "sqlite"])
def vault(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Vault]:
    if request.param == "memory":
        url = f"memory://tracker-{secrets.token_hex(6)}"
    else:
        url = f"sqlite:///{tmp_path / 'vault.db'}"
    opened = open_vault(url, provider())
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def talk() -> Conversation:
    return Conversation()
