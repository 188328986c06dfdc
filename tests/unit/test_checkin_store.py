"""The check-in clock is sealed under the participant's key and goes with it."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.checkins import CheckinState
from bot.state.checkins import CheckinStore, Outbox
from safety.errors import ShreddedError
from safety.vault import Vault, load_or_create_key_file


@pytest.fixture
def vault(tmp_path: Path) -> Vault:
    return Vault(tmp_path / "vault.db", load_or_create_key_file(tmp_path / "kek.hex", create=True))


def test_a_new_participant_has_a_fresh_clock(vault: Vault) -> None:
    assert CheckinStore(vault).get("p-1") == (CheckinState(), None)


def test_state_and_outbox_round_trip_and_update_keeps_the_outbox(vault: Vault) -> None:
    store = CheckinStore(vault)
    state = CheckinState(slot=100.0, started_at=101.0, last_high_at=50.0)
    store.save("p-1", state, Outbox("checkin|p-1|100.0|Start", ("Hej!", "Hur har du mått?")))
    assert store.get("p-1") == (
        state,
        Outbox("checkin|p-1|100.0|Start", ("Hej!", "Hur har du mått?")),
    )
    store.update("p-1", CheckinState(slot=100.0, started_at=101.0, reminded=True))
    updated, outbox = store.get("p-1")
    assert updated.reminded and outbox is not None and outbox.replies[0] == "Hej!"


def test_shredding_the_participant_takes_the_clock_with_it(vault: Vault) -> None:
    store = CheckinStore(vault)
    store.save("p-1", CheckinState(slot=1.0), Outbox("k", ("Hur har du mått?",)))
    vault.shred("p-1")
    assert store.get("p-1") == (CheckinState(), None)
    # Nothing brings a shredded participant's clock back.
    with pytest.raises(ShreddedError):
        store.save("p-1", CheckinState(slot=2.0))


def test_the_clock_is_sealed_not_stored_in_the_clear(vault: Vault, tmp_path: Path) -> None:
    CheckinStore(vault).save("p-1", CheckinState(slot=1.0), Outbox("k", ("Hur har du mått?",)))
    vault.close()
    raw = (tmp_path / "vault.db").read_bytes() + b"".join(
        path.read_bytes() for path in tmp_path.glob("vault.db-*")
    )
    assert "Hur har du mått".encode() not in raw
    assert b"stress_scores" not in raw
