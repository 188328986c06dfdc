"""Someone forgotten who comes back is enrolled afresh, under a new pseudonym."""

from __future__ import annotations

from pathlib import Path

from bot.state.participants import ParticipantRegistry
from safety.vault import Vault, load_or_create_key_file

ALICE = "@alice:localhost"


def test_a_forgotten_participant_can_be_enrolled_again(tmp_path: Path) -> None:
    vault = Vault(tmp_path / "vault.db", load_or_create_key_file(tmp_path / "kek", create=True))
    try:
        registry = ParticipantRegistry(vault)
        first = registry.enroll(ALICE, "sv", None)
        vault.shred(first.pseudonym)
        assert registry.find(ALICE) is None
        again = registry.enroll(ALICE, "en", None)
        assert again.pseudonym != first.pseudonym  # nothing joins the new to the old
        assert registry.find(ALICE) == again
        assert registry.pseudonym_of(ALICE) == again.pseudonym
        # A second registry (another process, such as `samtal enroll`) agrees.
        assert ParticipantRegistry(vault).find(ALICE) == again
        vault.shred(again.pseudonym)
        third = registry.enroll(ALICE, "sv", None)
        assert third.pseudonym not in (first.pseudonym, again.pseudonym)
    finally:
        vault.close()


def test_enrolling_twice_without_a_deletion_keeps_the_pseudonym(tmp_path: Path) -> None:
    vault = Vault(tmp_path / "vault.db", load_or_create_key_file(tmp_path / "kek", create=True))
    try:
        registry = ParticipantRegistry(vault)
        first = registry.enroll(ALICE, "sv", None)
        assert registry.enroll(ALICE, "en", "@m:localhost").pseudonym == first.pseudonym
    finally:
        vault.close()
