"""Rasa's tracker store and the gateway write one SQLite vault file at once."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from safety.tracker_store import JournalLimits, TrackerStoreSettings
from safety.vault import Vault, load_or_create_key_file
from tests.unit.tracker_store.helpers import Conversation

GATEWAY = """
import sys
from pathlib import Path
from safety.vault import Vault, load_or_create_key_file
vault = Vault(Path(sys.argv[1]), load_or_create_key_file(Path(sys.argv[2]), create=False))
print("ready", flush=True)
for n in range(300):
    vault.put("participant", f"p-{n % 7}", "profile", {"n": n})
    vault.append("ledger", f"p-{n % 7}", f"entry-{n}", {"n": n})
vault.close()
"""


def test_gateway_and_tracker_store_share_one_file(tmp_path: Path, talk: Conversation) -> None:
    db, kek = tmp_path / "gateway" / "vault.db", tmp_path / "secrets" / "kek.hex"
    load_or_create_key_file(kek, create=True)
    settings = TrackerStoreSettings(
        url=f"sqlite:///{db}", key_file=kek, limits=JournalLimits(flush_after=6, compact_after=3)
    )
    journal = settings.open_journal()
    gateway = subprocess.Popen(
        [sys.executable, "-c", GATEWAY, str(db), str(kek)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert gateway.stdout is not None
    assert gateway.stdout.readline().strip() == "ready"
    expected = {f"p-{n}": talk.session_start() for n in range(7)}
    for sender, events in expected.items():
        journal.save(sender, events)
    for n in range(300):
        sender = f"p-{n % 7}"
        new = talk.session_start() if n % 40 == 39 else talk.turn(f"turn {n}")
        journal.save(sender, [*(journal.current(sender) or []), *new])
        expected[sender] += new
    _, errors = gateway.communicate(timeout=120)
    assert gateway.returncode == 0, errors
    for sender, events in expected.items():
        assert journal.full(sender) == events
    journal.vault.close()
    vault = Vault(db, load_or_create_key_file(kek, create=False))
    assert len(list(vault.items("ledger"))) == 300
    vault.close()
