"""Audit entries: what may go in, and the chain's edge cases (memory backend)."""

from __future__ import annotations

import pytest

from safety.audit import AuditLog, head_from_json, head_to_json
from safety.audit.chain import verify_chain
from safety.errors import AuditError
from safety.vault import FileKeyProvider, Vault
from safety.vault.backend import AuditRow
from safety.vault.memory import MemoryStore


@pytest.fixture
def audit() -> AuditLog:
    return AuditLog(Vault(MemoryStore(), FileKeyProvider(bytes(32), "k")), clock=lambda: 1.5)


@pytest.mark.parametrize(
    ("action", "actor", "reason"),
    [
        ("read_everything", "operator", ""),
        ("content_access", "@mediator:example.org", ""),
        ("content_access", "Anna Andersson", ""),
        ("content_access", "operator", "x" * 201),
    ],
)
def test_entries_that_could_carry_identity_or_content_are_refused(
    audit: AuditLog, action: str, actor: str, reason: str
) -> None:
    with pytest.raises(AuditError):
        audit.append(action, actor, "p1", reason)
    assert audit.entries() == []


def test_an_empty_trail_verifies(audit: AuditLog) -> None:
    report = audit.verify()
    assert (report.ok, report.entries, report.head) == (True, 0, None)


def test_entries_read_back(audit: AuditLog) -> None:
    audit.append("escalation", "system", "p1", "risk high")
    audit.append("key_rotation", "operator")
    first, second = audit.entries()
    assert (first.seq, first.at, first.action, first.reason) == (1, 1.5, "escalation", "risk high")
    assert first.subject_is_tag and first.subject != "p1"
    assert (second.subject, second.reason) == (None, "")


def test_the_head_travels_as_json(audit: AuditLog) -> None:
    audit.append("escalation", "system", "p1", "risk high")
    head = audit.head()
    assert head is not None
    assert head_from_json(head_to_json(head)) == head


def test_an_unreadable_body_is_reported_at_its_position() -> None:
    rows = [AuditRow(1, "not json", "00")]
    report = verify_chain(rows, None, b"k" * 32, b"h" * 32)
    assert (report.ok, report.first_bad) == (False, 1)


def test_a_retention_shred_names_the_participant_after_the_key_is_gone() -> None:
    from safety.participant_data import forget

    vault = Vault(MemoryStore(), FileKeyProvider(bytes(32), "k"))
    audit = AuditLog(vault)
    vault.put("checkin", "p1", "k", 1)
    audit.append("content_access", "mediator:m1", "p1", "review")
    forget(vault, audit, "p1", actor="system", reason="retention limit", action="retention")
    assert [(e.action, e.subject) for e in audit.entries(subject="p1")] == [("retention", "p1")]
    assert audit.verify().ok
