"""One-time deep-link codes: single use, for one account, for seven days, never kept."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.transports.telegram.enrolment_codes import (
    KIND,
    LIFETIME_SECONDS,
    BadTarget,
    EnrolmentCodes,
    Pending,
    deep_link,
)
from safety.vault import Vault, load_or_create_key_file
from tests.unit.transports.telegram.common import FakeClock, LogRecorder

USER = 700700700
MEDIATOR = "@mediator:example.org"


@pytest.fixture
def codes(vault: Vault, clock: FakeClock) -> EnrolmentCodes:
    return EnrolmentCodes(vault, clock)


def test_a_code_fits_a_start_link(codes: EnrolmentCodes) -> None:
    code = codes.issue(f"telegram:{USER}", "sv", MEDIATOR)
    assert re.fullmatch(r"[A-Za-z0-9_-]{32}", code)
    assert codes.issue(f"telegram:{USER}", "sv", MEDIATOR) != code
    assert deep_link("@samtal_bot", code) == f"https://t.me/samtal_bot?start={code}"


def test_a_code_works_once_for_its_account(codes: EnrolmentCodes) -> None:
    code = codes.issue(f"telegram:{USER}", "sv", MEDIATOR)
    pending = codes.redeem(code, USER, None)
    assert pending == Pending(person=f"telegram:{USER}", language="sv", mediator=MEDIATOR)
    # Until the enrolment is saved, the same account pressing Start again still
    # enrols (a failure in between must not lock them out); nobody else can.
    assert codes.redeem(code, USER, None) == pending
    assert codes.redeem(code, USER + 1, None) is None
    assert codes.redeem(code, USER, None) is None  # the other account spent it


def test_a_spent_code_works_no_more(codes: EnrolmentCodes) -> None:
    code = codes.issue(f"telegram:{USER}", "sv", MEDIATOR)
    pending = codes.redeem(code, USER, None)
    assert pending is not None
    codes.spend(pending)
    assert codes.redeem(code, USER, None) is None


def test_a_username_matches_whatever_its_case(codes: EnrolmentCodes) -> None:
    code = codes.issue("telegram:@Anna_S", "en", None)
    pending = codes.redeem(code, USER, "anna_s")
    assert pending == Pending(person=f"telegram:{USER}", language="en", mediator=None)


def test_another_account_is_refused_and_spends_the_leaked_code(
    codes: EnrolmentCodes, recorded: LogRecorder
) -> None:
    by_id = codes.issue(f"telegram:{USER}", "sv", MEDIATOR)
    by_name = codes.issue("telegram:anna_s", "sv", MEDIATOR)
    assert codes.redeem(by_id, USER + 1, "anna_s") is None
    assert codes.redeem(by_name, USER, "not_anna") is None
    assert codes.redeem(by_name, USER, None) is None
    # The right person now needs a new link.
    assert codes.redeem(by_id, USER, None) is None
    assert recorded.of("telegram_code_refused") == [
        {"reason": "other_account"},
        {"reason": "other_account"},
        {"reason": "unknown"},
        {"reason": "unknown"},
    ]


def test_an_expired_code_is_refused(codes: EnrolmentCodes, clock: FakeClock) -> None:
    early = codes.issue(f"telegram:{USER}", "sv", MEDIATOR)
    late = codes.issue(f"telegram:{USER}", "sv", MEDIATOR)
    clock.advance(LIFETIME_SECONDS - 1)
    assert codes.redeem(early, USER, None) is not None
    clock.advance(1)
    assert codes.redeem(late, USER, None) is None


@pytest.mark.parametrize("code", ["", "short", "x" * 33, "a" * 31 + "!", "/start"])
def test_malformed_codes_are_refused(codes: EnrolmentCodes, code: str) -> None:
    codes.issue(f"telegram:{USER}", "sv", MEDIATOR)
    assert codes.redeem(code, USER, None) is None


@pytest.mark.parametrize(
    "target", ["@anna:example.org", "telegram:", "telegram:a b", "telegram:0", "anna"]
)
def test_a_target_that_is_no_telegram_account_is_refused(
    codes: EnrolmentCodes, target: str
) -> None:
    with pytest.raises(BadTarget):
        codes.issue(target, "sv", MEDIATOR)


def test_expired_codes_are_purged(codes: EnrolmentCodes, clock: FakeClock, vault: Vault) -> None:
    codes.issue(f"telegram:{USER}", "sv", MEDIATOR)
    clock.advance(LIFETIME_SECONDS / 2)
    fresh = codes.issue(f"telegram:{USER}", "sv", MEDIATOR)
    clock.advance(LIFETIME_SECONDS / 2)
    assert codes.purge_expired() == 1
    assert len(list(vault.items(KIND))) == 1
    assert codes.redeem(fresh, USER, None) is not None


def test_a_code_is_never_stored_in_the_clear(tmp_path: Path, clock: FakeClock) -> None:
    keys = load_or_create_key_file(tmp_path / "kek.hex", create=True)
    vault = Vault(tmp_path / "codes.db", keys)
    codes = EnrolmentCodes(vault, clock)
    code = codes.issue("telegram:anna_s", "sv", MEDIATOR)
    unsealed = repr(list(vault.items(KIND)))
    vault.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("codes.db*"))
    assert code.encode() not in raw
    assert b"anna_s" not in raw
    assert code not in unsealed
    # And the code still works from what was kept.
    reopened = Vault(tmp_path / "codes.db", keys)
    try:
        assert EnrolmentCodes(reopened, clock).redeem(code, USER, "anna_s") is not None
    finally:
        reopened.close()


def test_the_log_names_no_code_or_account(codes: EnrolmentCodes, recorded: LogRecorder) -> None:
    code = codes.issue("telegram:anna_s", "sv", MEDIATOR)
    pending = codes.redeem(code, USER, "anna_s")
    assert pending is not None
    codes.spend(pending)
    codes.redeem(code, USER, "anna_s")
    assert recorded.kinds() == [
        "telegram_code_issued",
        "telegram_code_redeemed",
        "telegram_code_refused",
    ]
    logged = recorded.text + repr(recorded.events)
    for secret in (code, "anna_s", str(USER), MEDIATOR):
        assert secret not in logged
