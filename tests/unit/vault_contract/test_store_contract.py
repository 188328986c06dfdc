"""The vault's contract, the same on every backend."""

from __future__ import annotations

import threading

import pytest
from conftest import Target, provider

from safety.errors import ShreddedError, StoreError, UnknownKekError
from safety.vault import Vault, check_records, open_store, open_vault
from safety.vault.migrations import LATEST


@pytest.fixture
def vault(target: Target) -> Vault:
    return open_vault(target.url, provider())


def test_round_trip_and_overwrite(vault: Vault) -> None:
    vault.put("note", "p1", "a", {"text": "hemligt åäö", "n": [1, 2.5, None]})
    assert vault.get("note", "p1", "a") == {"text": "hemligt åäö", "n": [1, 2.5, None]}
    vault.put("note", "p1", "a", {"text": "andra"})
    assert vault.get("note", "p1", "a") == {"text": "andra"}
    assert vault.get("note", "p1", "missing") is None
    assert vault.get("note", "p9", "a") is None


def test_listing_by_kind_and_owner(vault: Vault) -> None:
    vault.put("note", "p1", "a", 1)
    vault.put("note", "p1", "b", 2)
    vault.put("note", "p2", "a", 3)
    vault.put("turn", "p1", "a", 4)
    assert sorted(vault.items("note")) == [("p1", 1), ("p1", 2), ("p2", 3)]
    assert sorted(value for _, value in vault.items("note", "p1")) == [1, 2]
    assert sorted(vault.records_of("p1")) == [("note", 1), ("note", 2), ("turn", 4)]
    vault.delete("note", "p1", "a")
    assert sorted(vault.items("note", "p1")) == [("p1", 2)]


def test_a_second_vault_on_the_same_url_reads_the_same_data(target: Target, vault: Vault) -> None:
    vault.put("note", "p1", "a", "x")
    other = open_vault(target.url, provider())
    assert other.get("note", "p1", "a") == "x"
    assert other.derived_key("purpose") == vault.derived_key("purpose")
    assert other.index("note", "a") == vault.index("note", "a")


def test_ciphertext_cannot_move_between_owners_kinds_or_keys(target: Target, vault: Vault) -> None:
    vault.put("note", "p1", "a", "one")
    vault.put("note", "p2", "a", "two")
    vault.put("turn", "p1", "a", "three")
    vault.put("note", "p1", "b", "four")
    rows = {(k, o, r): s for k, o, r, s in target.raw.records()}
    sealed = rows[("note", "p1", vault.index("note", "a"))]
    target.raw.set_sealed("note", "p2", vault.index("note", "a"), sealed)
    target.raw.set_sealed("turn", "p1", vault.index("turn", "a"), sealed)
    target.raw.set_sealed("note", "p1", vault.index("note", "b"), sealed)
    for kind, owner, key in (("note", "p2", "a"), ("turn", "p1", "a"), ("note", "p1", "b")):
        with pytest.raises(StoreError):
            vault.get(kind, owner, key)
    assert vault.get("note", "p1", "a") == "one"


def test_a_wrapped_key_cannot_move_between_owners(target: Target, vault: Vault) -> None:
    vault.put("note", "p1", "a", "one")
    vault.put("note", "p2", "a", "two")
    wrapped = {owner: w for owner, w, _, _ in target.raw.keys()}
    target.raw.set_wrapped("p2", wrapped["p1"])
    fresh = open_vault(target.url, provider())
    with pytest.raises(StoreError):
        fresh.get("note", "p2", "a")


def test_shredding(target: Target, vault: Vault) -> None:
    vault.put("note", "p1", "a", "one")
    vault.put("note", "p2", "a", "two")
    vault.shred("p1")
    assert vault.get("note", "p1", "a") is None
    assert list(vault.items("note")) == [("p2", "two")]
    with pytest.raises(ShreddedError):
        vault.put("note", "p1", "b", "again")
    assert [o for _, o, _, _ in target.raw.records()] == ["p2"]
    tombstone = {owner: (w, s) for owner, w, _, s in target.raw.keys()}["p1"]
    assert tombstone == (b"", 1)


def test_shred_by_another_process_stops_a_cached_writer(target: Target, vault: Vault) -> None:
    vault.put("note", "p1", "a", "one")
    open_vault(target.url, provider()).shred("p1")
    with pytest.raises(ShreddedError):
        vault.put("note", "p1", "b", "after the shred")
    assert target.raw.records() == []


def test_shredding_an_unknown_owner_leaves_a_tombstone(vault: Vault) -> None:
    vault.shred("p-never-seen")
    with pytest.raises(ShreddedError):
        vault.put("note", "p-never-seen", "a", 1)


def test_the_vaults_own_keys_cannot_be_shredded(vault: Vault) -> None:
    for owner in ("_vault", "_audit", "_system"):
        with pytest.raises(StoreError):
            vault.shred(owner)


def test_append_only_records_are_never_replaced(vault: Vault) -> None:
    vault.append("consent", "p1", "e1", {"decision": "given"})
    with pytest.raises(StoreError):
        vault.append("consent", "p1", "e1", {"decision": "forged"})
    assert vault.get("consent", "p1", "e1") == {"decision": "given"}


def test_a_different_kek_is_refused(target: Target, vault: Vault) -> None:
    vault.put("note", "p1", "a", 1)
    with pytest.raises(UnknownKekError):
        open_vault(target.url, provider(seed=2))


def test_nothing_is_stored_in_plaintext(target: Target, vault: Vault) -> None:
    vault.put("note", "p1", "key-canary-7f3a", {"text": "canary-5be1d2"})
    vault.append("consent", "p1", "key-canary-2", "canary-88aa01")
    dump = target.raw.dump()
    for canary in (b"canary-5be1d2", b"key-canary-7f3a", b"key-canary-2", b"canary-88aa01"):
        assert canary not in dump


def test_concurrent_writers(target: Target) -> None:
    # Separate vaults (separate connections) race to create the same data keys.
    vaults = [open_vault(target.url, provider()) for _ in range(4)]
    errors: list[BaseException] = []

    def write(number: int, vault: Vault) -> None:
        try:
            for i in range(25):
                vault.put("note", f"p{i % 3}", f"w{number}-{i}", {"n": number, "i": i})
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n, v)) for n, v in enumerate(vaults)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    reader = open_vault(target.url, provider())
    assert len(list(reader.items("note"))) == 100
    assert reader.get("note", "p1", "w3-4") == {"n": 3, "i": 4}
    assert len({row[0] for row in target.raw.keys()}) == 3 + 1  # p0..p2 and the vault root


def test_migrations_are_idempotent_and_concurrent_opens_agree(target: Target) -> None:
    versions: list[int] = []

    def open_once() -> None:
        store = open_store(target.url)
        versions.append(store.schema_version())
        store.close()

    threads = [threading.Thread(target=open_once) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    open_once()
    assert versions == [LATEST] * 5


def test_an_older_copy_of_a_record_is_refused_and_nothing_is_lost(
    target: Target, vault: Vault
) -> None:
    """Someone with the database puts back an earlier sealed copy of a record
    (here: consent given, after it was withdrawn). Each write seals the record
    with its version, so the old copy no longer authenticates in its place."""
    rkey = vault.index("consent", "state")
    vault.put("consent", "p1", "state", "given")
    older = dict(((k, o, r), s) for k, o, r, s in target.raw.records())[("consent", "p1", rkey)]
    vault.put("consent", "p1", "state", "withdrawn")
    vault.put("note", "p1", "a", "kept")
    newer = dict(((k, o, r), s) for k, o, r, s in target.raw.records())[("consent", "p1", rkey)]
    target.raw.set_sealed("consent", "p1", rkey, older)
    with pytest.raises(StoreError, match="older copy"):
        vault.get("consent", "p1", "state")
    with pytest.raises(StoreError, match="older copy"):
        vault.records_of("p1")
    # Refusing it destroyed nothing: the record is still there, the owner's other
    # records read, and putting the genuine copy back makes it readable again.
    assert vault.get("note", "p1", "a") == "kept"
    assert len(target.raw.records()) == 2
    target.raw.set_sealed("consent", "p1", rkey, newer)
    assert vault.get("consent", "p1", "state") == "withdrawn"


def test_a_record_written_before_versions_is_read_and_versioned_on_its_next_write(
    target: Target, vault: Vault
) -> None:
    rkey = vault.index("note", "a")
    vault.ensure_key("p1")
    target.raw.add_record("note", "p1", rkey, vault.seal("note", "p1", rkey, "from before"))
    assert vault.get("note", "p1", "a") == "from before"
    vault.put("note", "p1", "a", "now")
    older = vault.seal("note", "p1", rkey, "from before")  # the old format, replayed
    target.raw.set_sealed("note", "p1", rkey, older)
    with pytest.raises(StoreError, match="older copy"):
        vault.get("note", "p1", "a")


def test_a_record_put_back_with_its_older_version_is_found_when_the_vault_is_verified(
    target: Target, vault: Vault
) -> None:
    """Putting back the whole row (sealed copy and version number) is consistent
    with itself, so a read cannot tell; the owner's record digest, kept under
    their key and moved by every write, can."""
    rkey = vault.index("consent", "state")
    vault.put("consent", "p1", "state", "given")
    vault.put("note", "p1", "a", "kept")
    older = target.raw.row("consent", "p1", rkey)
    vault.put("consent", "p1", "state", "withdrawn")
    vault.put("note", "p2", "a", "other")
    assert vault.verify_records() == []
    target.raw.set_row("consent", "p1", rkey, *older)
    assert vault.verify_records() == ["p1"]
    assert check_records(target.url, provider()) == ["p1"]  # what `samtal audit verify` runs
    # Looking changed nothing: every record is where it was.
    assert vault.get("note", "p1", "a") == "kept"
    assert vault.get("consent", "p1", "state") == "given"


def test_record_digests_follow_every_write_and_delete(vault: Vault) -> None:
    vault.put("note", "p1", "a", 1)
    vault.put("note", "p1", "a", 2)
    vault.append("ledger", "p1", "x", 3)
    vault.put("note", "p1", "b", 4)
    vault.delete("note", "p1", "b")
    vault.delete("note", "p1", "never-written")
    vault.put("note", "p1", "b", 5)
    vault.put("note", "p2", "a", 6)
    vault.shred("p2")
    assert vault.verify_records() == []


def test_an_owner_from_before_digests_is_covered_once_then_checked(
    target: Target, vault: Vault
) -> None:
    rkey = vault.index("note", "a")
    vault.put("note", "p1", "a", "one")
    older = target.raw.row("note", "p1", rkey)
    vault.put("note", "p1", "a", "two")
    target.raw.clear_digest("p1")  # as the migration leaves an existing owner
    vault.put("note", "p1", "b", "three")
    assert vault.verify_records() == []  # not covered yet: nothing to compare with
    assert vault.cover_records() == 1
    assert vault.cover_records() == 0
    assert vault.verify_records() == []
    target.raw.set_row("note", "p1", rkey, *older)
    assert vault.verify_records() == ["p1"]


def test_writers_racing_on_one_record_keep_its_digest(target: Target) -> None:
    vaults = [open_vault(target.url, provider()) for _ in range(4)]
    errors: list[BaseException] = []

    def write(number: int, vault: Vault) -> None:
        try:
            for i in range(15):
                vault.put("state", "p1", "shared", {"n": number, "i": i})
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n, v)) for n, v in enumerate(vaults)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    reader = open_vault(target.url, provider())
    assert reader.get("state", "p1", "shared") is not None
    assert reader.verify_records() == []
