"""Someone forgotten who comes back is enrolled afresh, under a new pseudonym."""

from __future__ import annotations

from pathlib import Path

from bot.ids import participant_code
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


def test_a_code_finds_its_participant_without_reading_anyone_else(tmp_path: Path) -> None:
    vault = Vault(tmp_path / "vault.db", load_or_create_key_file(tmp_path / "kek", create=True))
    try:
        registry = ParticipantRegistry(vault)
        people = [registry.enroll(f"@p{n}:example.org", "sv", None) for n in range(5)]
        target = people[3]
        opened: list[str] = []
        unseal = vault.unseal

        def counting(kind: str, owner: str, rkey: str, sealed: bytes, version: int = 0) -> object:
            opened.append(owner)
            return unseal(kind, owner, rkey, sealed, version)

        vault.unseal = counting  # type: ignore[method-assign]
        found = registry.by_code(participant_code(target.pseudonym).lower())
        assert found == target
        assert set(opened) == {target.pseudonym}
        vault.shred(target.pseudonym)
        assert registry.by_code(participant_code(target.pseudonym)) is None
        assert registry.by_code("P-ZZZZZZ") is None
    finally:
        vault.close()
