"""The audit chain detects every way of tampering with the raw database."""

from __future__ import annotations

import json

import pytest
from conftest import Target, provider

from safety.audit import AuditLog, head_from_json, head_to_json, verify_audit
from safety.errors import AuditTamperedError
from safety.participant_data import forget
from safety.vault import Vault, open_vault

ENTRIES = 6


@pytest.fixture
def vault(target: Target) -> Vault:
    return open_vault(target.url, provider())


@pytest.fixture
def audit(vault: Vault) -> AuditLog:
    log = AuditLog(vault)
    for n in range(1, ENTRIES + 1):
        log.append("content_access", "mediator:m1", f"p{n % 2}", f"weekly review {n}")
    return log


def _first_bad(target: Target) -> int | None:
    report = verify_audit(target.url, provider())
    assert report.ok is (report.first_bad is None)
    return report.first_bad


def test_an_untouched_chain_verifies(target: Target, audit: AuditLog) -> None:
    report = verify_audit(target.url, provider())
    assert (report.ok, report.entries, report.first_bad) == (True, ENTRIES, None)
    assert report.head is not None and report.head.seq == ENTRIES
    assert [entry.reason for entry in audit.entries()][:2] == ["weekly review 1", "weekly review 2"]


def test_an_edited_entry_is_found(target: Target, audit: AuditLog) -> None:
    seq, body, mac = target.raw.audit()[2]
    target.raw.set_audit(seq, body.replace("mediator:m1", "mediator:m2"), mac)
    assert _first_bad(target) == 3


def test_an_entry_with_a_recomputed_plain_hash_is_found(target: Target, audit: AuditLog) -> None:
    import hashlib

    seq, body, _ = target.raw.audit()[3]
    edited = body.replace("content_access", "escalation")
    target.raw.set_audit(seq, edited, hashlib.sha256(edited.encode()).hexdigest())
    assert _first_bad(target) == 4


def test_a_deleted_entry_is_found(target: Target, audit: AuditLog) -> None:
    target.raw.delete_audit(3)
    assert _first_bad(target) == 3


def test_an_inserted_entry_is_found(target: Target, audit: AuditLog) -> None:
    _, body, mac = target.raw.audit()[1]
    target.raw.insert_audit(3, body, mac)  # a replayed genuine entry
    assert _first_bad(target) == 3


def test_reordered_entries_are_found(target: Target, audit: AuditLog) -> None:
    rows = target.raw.audit()
    target.raw.set_audit(2, rows[2][1], rows[2][2])
    target.raw.set_audit(3, rows[1][1], rows[1][2])
    assert _first_bad(target) == 2


def test_a_truncated_tail_is_found_by_the_signed_head(target: Target, audit: AuditLog) -> None:
    target.raw.truncate_audit(4)
    report = verify_audit(target.url, provider())
    assert (report.ok, report.first_bad) == (False, 5)
    assert "missing" in (report.problem or "")


def test_appending_after_a_truncation_does_not_hide_it(target: Target, audit: AuditLog) -> None:
    target.raw.truncate_audit(4)
    audit.append("export", "operator", "p1", "access request")
    assert _first_bad(target) == 5


def test_truncation_with_the_head_deleted_is_found(target: Target, audit: AuditLog) -> None:
    target.raw.truncate_audit(4)
    target.raw.set_checkpoint(None)
    assert _first_bad(target) == 5
    with pytest.raises(AuditTamperedError):
        audit.append("export", "operator", "p1", "access request")


def test_a_forged_head_is_found(target: Target, audit: AuditLog) -> None:
    head = target.raw.checkpoint()
    assert head is not None
    target.raw.truncate_audit(4)
    target.raw.set_checkpoint(type(head)(4, target.raw.audit()[3][2], head.at, head.sig))
    assert _first_bad(target) is not None


def test_a_replayed_old_head_needs_the_published_head(target: Target, audit: AuditLog) -> None:
    old_head = target.raw.checkpoint()
    audit.append("export", "operator", "p1", "access request")
    published = head_from_json(head_to_json(audit.head()))  # type: ignore[arg-type]
    # Roll the database back to its earlier, self-consistent state.
    target.raw.truncate_audit(ENTRIES)
    target.raw.set_checkpoint(old_head)
    assert verify_audit(target.url, provider()).ok  # nothing inside the database can tell
    report = verify_audit(target.url, provider(), published=published)
    assert (report.ok, report.first_bad) == (False, ENTRIES + 1)


def test_no_reason_or_identifier_is_stored_in_plaintext(target: Target, audit: AuditLog) -> None:
    dump = target.raw.dump()
    assert b"weekly review" not in dump
    bodies = [json.loads(body) for _, body, _ in target.raw.audit()]
    assert all(body["subject"] not in ("p0", "p1") for body in bodies)


def test_a_forgotten_participant_is_no_longer_linked(vault: Vault, audit: AuditLog) -> None:
    assert len(audit.entries(subject="p1")) == ENTRIES // 2
    vault.put("note", "p1", "a", "x")
    forget(vault, audit, "p1")
    remaining = audit.entries(subject="p1")
    assert [(e.action, e.subject, e.subject_is_tag) for e in remaining] == [
        ("deletion", "p1", False)
    ]
    assert audit.verify().ok


def test_concurrent_appenders_keep_one_chain(target: Target) -> None:
    import threading

    logs = [AuditLog(open_vault(target.url, provider())) for _ in range(4)]

    def append(log: AuditLog) -> None:
        for _ in range(10):
            log.append("handoff", "mediator:m1", "p1", "taking over")

    threads = [threading.Thread(target=append, args=(log,)) for log in logs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    report = verify_audit(target.url, provider())
    assert (report.ok, report.entries) == (True, 40)
