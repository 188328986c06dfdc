"""The launcher's endpoints.yml points Rasa at the gateway's vault and KEK."""

from __future__ import annotations

import stat
from pathlib import Path

import yaml

from bot.launcher.rasa import write_endpoints
from safety.tracker_store import TrackerStoreSettings


def test_embedded_endpoints_use_the_gateways_vault_and_key(tmp_path: Path) -> None:
    path = write_endpoints(tmp_path, 5055)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    kek = tmp_path / "secrets" / "kek.hex"
    assert stat.S_IMODE(kek.stat().st_mode) == 0o600  # created for Rasa if the gateway had not
    endpoints = yaml.safe_load(path.read_text())
    token = (tmp_path / "secrets" / "actions.token").read_text().strip()
    assert len(token) >= 32  # the action server refuses requests without it
    assert endpoints["action_endpoint"] == {"url": "http://127.0.0.1:5055/webhook", "token": token}
    store = endpoints["tracker_store"]
    assert store == {
        "type": "safety.tracker_store.EncryptedTrackerStore",
        "url": f"sqlite:///{tmp_path / 'gateway' / 'vault.db'}",
        "key_file": str(kek),
    }
    assert "lock_store" not in endpoints
    options = {k: v for k, v in store.items() if k not in ("type", "url")}
    journal = TrackerStoreSettings.from_endpoint(store["url"], options).open_journal()
    journal.vault.close()
    assert (tmp_path / "gateway" / "vault.db").exists()


def test_shared_stores_for_several_servers(tmp_path: Path) -> None:
    write_endpoints(tmp_path, 1)
    kek_before = (tmp_path / "secrets" / "kek.hex").read_text()
    lock = {"type": "redis", "url": "127.0.0.1", "port": 6379}
    path = write_endpoints(
        tmp_path, 5055, vault_url="postgresql://u:pw@127.0.0.1/db", lock_store=lock
    )
    endpoints = yaml.safe_load(path.read_text())
    assert endpoints["tracker_store"]["url"] == "postgresql://u:pw@127.0.0.1/db"
    assert endpoints["lock_store"] == lock
    assert (tmp_path / "secrets" / "kek.hex").read_text() == kek_before  # never replaced
