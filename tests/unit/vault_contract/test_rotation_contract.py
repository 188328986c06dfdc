"""Key rotation re-wraps data keys only, and resumes after an interruption."""

from __future__ import annotations

import pytest
from conftest import Target, provider

from safety.audit import AuditLog, verify_audit
from safety.errors import RotationError, UnknownKekError
from safety.vault import FileKeyProvider, open_store, open_vault
from safety.vault.rotation import rotate, rotate_keys

OWNERS = [f"p{i:02d}" for i in range(12)]


class FailingAfter:
    """A KEK that breaks after ``n`` wraps, as a process killed mid-rotation would."""

    def __init__(self, inner: FileKeyProvider, n: int) -> None:
        self._inner, self._left = inner, n
        self.key_id = inner.key_id

    def wrap(self, data_key: bytes, owner: str) -> bytes:
        if self._left == 0:
            raise RuntimeError("killed")
        self._left -= 1
        return self._inner.wrap(data_key, owner)

    def unwrap(self, wrapped: bytes, owner: str) -> bytes:
        return self._inner.unwrap(wrapped, owner)


def _fill(target: Target) -> None:
    vault = open_vault(target.url, provider(1))
    for owner in OWNERS:
        vault.put("note", owner, "a", {"owner": owner})
    vault.shred("p00")
    AuditLog(vault).append("content_access", "operator", "p01", "review")
    vault.close()


def test_rotation_rewraps_keys_and_leaves_data_alone(target: Target) -> None:
    _fill(target)
    records_before = target.raw.records()
    report = rotate_keys(target.url, provider(1), provider(2))
    # 11 live participants, the vault root and the audit key; the shredded one is skipped
    assert (report.rewrapped, report.rewrapped_this_run, report.resumed) == (13, 13, False)
    assert target.raw.records() == records_before
    assert {kek for _, _, kek, shredded in target.raw.keys() if not shredded} == {
        provider(2).key_id
    }
    vault = open_vault(target.url, provider(2))
    assert vault.get("note", "p07", "a") == {"owner": "p07"}
    assert [e.action for e in AuditLog(vault).entries()] == ["content_access", "key_rotation"]
    assert verify_audit(target.url, provider(2)).ok
    with pytest.raises(UnknownKekError):
        open_vault(target.url, provider(1))


def test_an_interrupted_rotation_resumes(target: Target) -> None:
    _fill(target)
    store = open_store(target.url)
    with pytest.raises(RuntimeError, match="killed"):
        rotate(store, provider(1), FailingAfter(provider(2), 5))
    store.close()
    kek_ids = [kek for _, _, kek, shredded in target.raw.keys() if not shredded]
    assert kek_ids.count(provider(2).key_id) == 5
    # Meanwhile the data stays readable with both KEKs at hand.
    both = open_vault(target.url, provider(2), previous=[provider(1)])
    assert [both.get("note", o, "a") for o in OWNERS[1:]] == [{"owner": o} for o in OWNERS[1:]]
    report = rotate_keys(target.url, provider(1), provider(2))
    assert (report.rewrapped, report.rewrapped_this_run, report.resumed) == (13, 8, True)
    assert open_vault(target.url, provider(2)).get("note", "p11", "a") == {"owner": "p11"}


def test_rotating_to_the_same_kek_is_refused(target: Target) -> None:
    _fill(target)
    with pytest.raises(RotationError):
        rotate_keys(target.url, provider(1), provider(1))


def test_a_key_under_an_unknown_kek_stops_rotation(target: Target) -> None:
    _fill(target)
    rotate_keys(target.url, provider(1), provider(2))
    with pytest.raises(RotationError):
        rotate_keys(target.url, provider(1), provider(3))
