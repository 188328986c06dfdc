"""Consent ledger, export and crypto-shredding, checked against the raw database."""

from __future__ import annotations

import itertools
import json

import pytest
from conftest import Target, provider
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from safety.audit import AuditLog, verify_audit
from safety.consent import ConsentLedger, ConsentText
from safety.errors import ConsentError, StoreError
from safety.participant_data import export, forget
from safety.vault import Vault, open_vault

TEXT_V1_SV = ConsentText("1", "sv", "Du kan när som helst dra tillbaka ditt samtycke.")
TEXT_V1_EN = ConsentText("1", "en", "You can withdraw your consent at any time.")
TEXT_V2_SV = ConsentText("2", "sv", "Ny text: du kan när som helst dra tillbaka ditt samtycke.")


@pytest.fixture
def vault(target: Target) -> Vault:
    return open_vault(target.url, provider())


@pytest.fixture
def ledger(vault: Vault) -> ConsentLedger:
    ticks = itertools.count(1000)
    return ConsentLedger(vault, AuditLog(vault), clock=lambda: float(next(ticks)))


def test_consent_is_a_query_over_the_kept_history(ledger: ConsentLedger) -> None:
    assert not ledger.current("p1", TEXT_V1_SV).consented
    ledger.record("p1", "given", TEXT_V1_SV)
    assert ledger.current("p1", TEXT_V1_SV).consented
    assert ledger.current("p1", TEXT_V1_EN).consented  # same version, other language
    ledger.record("p1", "withdrawn", TEXT_V1_SV)
    assert not ledger.current("p1", TEXT_V1_SV).consented
    ledger.record("p1", "given", TEXT_V1_SV)
    history = ledger.history("p1")
    assert [e.decision for e in history] == ["given", "withdrawn", "given"]
    assert history[0].text_sha256 == TEXT_V1_SV.sha256 and history[0].language == "sv"
    assert [e.at for e in history] == [1000.0, 1001.0, 1002.0]


def test_a_new_consent_text_asks_again(ledger: ConsentLedger) -> None:
    ledger.record("p1", "given", TEXT_V1_SV)
    assert not ledger.current("p1", TEXT_V2_SV).consented
    edited = ConsentText("1", "sv", TEXT_V1_SV.text + " (ändrad)")
    assert not ledger.current("p1", edited).consented


def test_declining_and_bad_decisions(ledger: ConsentLedger) -> None:
    status = ledger.current("p1", TEXT_V1_SV)
    ledger.record("p1", "declined", TEXT_V1_SV)
    status = ledger.current("p1", TEXT_V1_SV)
    assert not status.consented and status.latest is not None
    assert status.latest.decision == "declined"
    with pytest.raises(ConsentError):
        ledger.record("p1", "maybe", TEXT_V1_SV)


def test_consent_changes_are_audited(target: Target, vault: Vault, ledger: ConsentLedger) -> None:
    ledger.record("p1", "given", TEXT_V1_SV)
    ledger.record("p1", "withdrawn", TEXT_V1_SV)
    entries = AuditLog(vault).entries(subject="p1")
    assert [(e.action, e.reason) for e in entries] == [
        ("consent_change", "given v1"),
        ("consent_change", "withdrawn v1"),
    ]
    assert verify_audit(target.url, provider()).ok


def test_export_holds_every_record_and_is_audited(vault: Vault, ledger: ConsentLedger) -> None:
    ledger.record("p1", "given", TEXT_V1_SV)
    vault.put("checkin", "p1", "2026-11-20", {"stress": 3})
    vault.put("checkin", "p2", "2026-11-20", {"stress": 5})
    audit = AuditLog(vault)
    data = export(vault, "p1", audit, actor="operator", reason="access request")
    json.dumps(data)
    assert data["participant"] == "p1"
    assert data["records"]["checkin"] == [{"stress": 3}]
    assert data["records"]["consent"][0]["decision"] == "given"
    assert audit.entries(subject="p1")[-1].action == "export"


def test_nothing_of_a_forgotten_participant_decrypts(target: Target, vault: Vault) -> None:
    audit = AuditLog(vault)
    ConsentLedger(vault, audit).record("p1", "given", TEXT_V1_SV)
    vault.put("checkin", "p1", "k", {"text": "canary-9d41"})
    vault.put("checkin", "p2", "k", {"text": "someone else"})
    sealed = [(k, r, s) for k, o, r, s in target.raw.records() if o == "p1"]
    wrapped = {o: w for o, w, _, _ in target.raw.keys()}["p1"]
    assert len(sealed) == 2

    forget(vault, audit, "p1", actor="operator", reason="participant asked")

    dump = target.raw.dump()
    assert wrapped not in dump
    assert not any(s in dump for _, _, s in sealed)
    assert b"canary-9d41" not in dump
    # Every key the database still holds, unwrapped with the KEK, fails on p1's ciphertext.
    kek = provider()
    live = [kek.unwrap(w, o) for o, w, _, shredded in target.raw.keys() if not shredded]
    for (kind, rkey, blob), key in itertools.product(sealed, live):
        with pytest.raises(InvalidTag):
            AESGCM(key).decrypt(blob[:12], blob[12:], f"{kind}\0p1\0{rkey}".encode())
    assert export(vault, "p1")["records"] == {}
    assert vault.get("checkin", "p2", "k") == {"text": "someone else"}
    assert [e.action for e in audit.entries(subject="p1")] == ["deletion"]
    assert verify_audit(target.url, provider()).ok


def test_forgetting_twice_is_harmless(vault: Vault) -> None:
    audit = AuditLog(vault)
    vault.put("checkin", "p1", "k", 1)
    forget(vault, audit, "p1")
    forget(vault, audit, "p1")
    assert [e.action for e in audit.entries(subject="p1")] == ["deletion", "deletion"]
    with pytest.raises(StoreError):
        vault.put("checkin", "p1", "k", 2)
