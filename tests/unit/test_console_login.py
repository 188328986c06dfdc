"""The console's pure decisions: codes, lockouts, sessions, CSRF and the timeline's words."""

from __future__ import annotations

import itertools

import pytest

from bot.console.codes import CODE_DIGITS, CODE_SECONDS, TRIES_PER_CODE, CodeBook, normalised
from bot.console.data import step_label
from bot.console.limits import Limiter
from bot.console.login import (
    ACCOUNT_FAILURES,
    CLIENT_FAILURES,
    CODES_PER_ACCOUNT,
    LOCKOUT_SECONDS,
    LoginGate,
    Outcome,
    Staffing,
    typed_account,
)
from bot.console.sessions import (
    ANONYMOUS_SECONDS,
    IDLE_SECONDS,
    LONGEST_SECONDS,
    ConsoleRole,
    Sessions,
    csrf_ok,
)

SUPERVISOR = "@handledare:example.org"
MEDIATOR = "@mediator:example.org"
STRANGER = "@stranger:example.org"
STAFFING = Staffing(frozenset({SUPERVISOR}), frozenset({MEDIATOR}))
T0 = 1_800_000_000.0


def _codes(*drawn: str) -> CodeBook:
    values = iter(drawn)
    return CodeBook(draw=lambda: next(values))


# -- codes --------------------------------------------------------------------


def test_a_real_code_has_eight_digits_and_codes_differ() -> None:
    book = CodeBook()
    codes = {book.issue(f"@a{n}:x", T0) for n in range(50)}
    assert all(len(c) == CODE_DIGITS and c.isdigit() for c in codes)
    assert len(codes) > 45


def test_a_code_works_once() -> None:
    book = _codes("12345678")
    code = book.issue(SUPERVISOR, T0)
    assert book.redeem(SUPERVISOR, code, T0 + 1)
    assert not book.redeem(SUPERVISOR, code, T0 + 2)


def test_a_code_expires() -> None:
    book = _codes("12345678")
    code = book.issue(SUPERVISOR, T0)
    assert not book.redeem(SUPERVISOR, code, T0 + CODE_SECONDS)


def test_a_code_is_for_its_own_account_only() -> None:
    book = _codes("12345678", "87654321")
    code = book.issue(SUPERVISOR, T0)
    book.issue(MEDIATOR, T0)
    assert not book.redeem(MEDIATOR, code, T0 + 1)


def test_a_code_is_for_the_browser_that_asked_only() -> None:
    book = _codes("12345678")
    code = book.issue(SUPERVISOR, T0, browser="asking")
    assert not book.redeem(SUPERVISOR, code, T0 + 1, browser="another")
    assert book.redeem(SUPERVISOR, code, T0 + 2, browser="asking")


def test_a_new_code_replaces_the_old_one() -> None:
    book = _codes("11111111", "22222222")
    old = book.issue(SUPERVISOR, T0)
    new = book.issue(SUPERVISOR, T0 + 1)
    assert not book.redeem(SUPERVISOR, old, T0 + 2)
    assert book.redeem(SUPERVISOR, new, T0 + 3)


def test_a_code_dies_after_its_wrong_tries() -> None:
    book = _codes("12345678")
    code = book.issue(SUPERVISOR, T0)
    for _ in range(TRIES_PER_CODE):
        assert not book.redeem(SUPERVISOR, "00000000", T0 + 1)
    assert not book.redeem(SUPERVISOR, code, T0 + 2)


def test_spaces_and_dashes_in_a_typed_code_do_not_count() -> None:
    assert normalised(" 1234-5678 ") == "12345678"
    book = _codes("12345678")
    book.issue(SUPERVISOR, T0)
    assert book.redeem(SUPERVISOR, "1234 5678", T0 + 1)


def test_only_a_hash_of_the_code_is_held() -> None:
    book = _codes("12345678")
    book.issue(SUPERVISOR, T0)
    assert "12345678" not in repr(vars(book))


def test_a_code_with_characters_that_are_not_utf8_is_just_wrong() -> None:
    book = _codes("12345678")
    book.issue(SUPERVISOR, T0)
    assert not book.redeem(SUPERVISOR, "\udcff\udcfe", T0 + 1)


# -- limiter ------------------------------------------------------------------


def test_the_limiter_blocks_at_the_limit_and_frees_after_the_window() -> None:
    limiter = Limiter(3, 60)
    for n in range(3):
        assert not limiter.blocked("k", T0 + n)
        limiter.hit("k", T0 + n)
    assert limiter.blocked("k", T0 + 10)
    assert not limiter.blocked("other", T0 + 10)
    assert limiter.blocked("k", T0 + 59)
    assert not limiter.blocked("k", T0 + 60.5)
    assert limiter.count("k", T0 + 61) == 1


def test_the_limiter_forgets_stale_keys_under_a_flood() -> None:
    limiter = Limiter(1, 10)
    for n in range(10_500):
        limiter.hit(f"k{n}", T0 + n)
    assert len(limiter._hits) < 10_100


def test_a_limiter_needs_a_positive_limit() -> None:
    with pytest.raises(ValueError):
        Limiter(0, 10)


# -- the login gate -------------------------------------------------------------


def test_roles_come_from_the_configuration() -> None:
    both = Staffing(frozenset({SUPERVISOR}), frozenset({SUPERVISOR, MEDIATOR}))
    assert both.role_of(SUPERVISOR) is ConsoleRole.SUPERVISOR
    assert both.role_of(MEDIATOR) is ConsoleRole.MEDIATOR
    assert both.role_of(STRANGER) is None


def test_only_staff_are_sent_a_code() -> None:
    gate = LoginGate(STAFFING, _codes("12345678", "87654321"))
    assert gate.ask(SUPERVISOR, "c", T0) == "12345678"
    assert gate.ask(MEDIATOR, "c", T0) == "87654321"
    assert gate.ask(STRANGER, "c", T0) is None


def test_the_right_code_signs_in_with_the_role() -> None:
    gate = LoginGate(STAFFING, _codes("12345678"))
    code = gate.ask(MEDIATOR, "c", T0)
    assert code is not None
    verdict = gate.check(MEDIATOR, "c", code, T0 + 5)
    assert (verdict.outcome, verdict.role) == (Outcome.SIGNED_IN, ConsoleRole.MEDIATOR)


def test_a_stranger_never_signs_in_and_is_locked_like_staff() -> None:
    staff_gate = LoginGate(STAFFING, _codes("12345678"))
    stranger_gate = LoginGate(STAFFING, _codes("12345678"))
    staff_gate.ask(SUPERVISOR, "c", T0)
    stranger_gate.ask(STRANGER, "c", T0)
    staff_seen = [staff_gate.check(SUPERVISOR, "c", "99999999", T0).outcome for _ in range(6)]
    stranger_seen = [stranger_gate.check(STRANGER, "c", "99999999", T0).outcome for _ in range(6)]
    assert staff_seen == stranger_seen
    assert stranger_gate.check(STRANGER, "c", "12345678", T0).outcome is not Outcome.SIGNED_IN


def test_an_account_is_locked_after_repeated_wrong_codes_even_for_the_right_one() -> None:
    gate = LoginGate(STAFFING, _codes(*(f"{n:08d}" for n in range(1, 20))))
    outcomes = []
    for n in range(ACCOUNT_FAILURES):
        gate.ask(SUPERVISOR, f"client{n}", T0 + n)
        outcomes.append(gate.check(SUPERVISOR, f"client{n}", "99999999", T0 + n).outcome)
    assert outcomes == [Outcome.WRONG] * (ACCOUNT_FAILURES - 1) + [Outcome.LOCKED]
    assert gate.ask(SUPERVISOR, "elsewhere", T0 + 10) is None
    assert gate.check(SUPERVISOR, "elsewhere", "00000001", T0 + 10).outcome is Outcome.LOCKED
    # After the lockout a new code works; the one from before it does not.
    later = T0 + ACCOUNT_FAILURES + LOCKOUT_SECONDS
    assert gate.check(SUPERVISOR, "c", "00000005", later).outcome is Outcome.WRONG
    fresh = gate.ask(SUPERVISOR, "c", later + 1)
    assert fresh is not None
    assert gate.check(SUPERVISOR, "c", fresh, later + 2).outcome is Outcome.SIGNED_IN


def test_one_client_guessing_across_accounts_is_locked() -> None:
    gate = LoginGate(STAFFING)
    accounts = (f"@guess{n}:example.org" for n in itertools.count())
    outcomes = [
        gate.check(next(accounts), "attacker", "0", T0).outcome for _ in range(CLIENT_FAILURES)
    ]
    assert outcomes[-1] is Outcome.LOCKED
    assert Outcome.LOCKED not in outcomes[:-1]
    # Staff logging in from elsewhere are not held up by it.
    code = gate.ask(SUPERVISOR, "office", T0 + 1)
    assert code is not None
    assert gate.check(SUPERVISOR, "office", code, T0 + 2).outcome is Outcome.SIGNED_IN
    assert gate.ask(SUPERVISOR, "attacker", T0 + 3) is None


def test_codes_asked_for_one_desk_are_limited() -> None:
    gate = LoginGate(STAFFING)
    sent = [gate.ask(SUPERVISOR, f"c{n}", T0 + n) for n in range(CODES_PER_ACCOUNT + 2)]
    assert all(sent[:CODES_PER_ACCOUNT]) and sent[CODES_PER_ACCOUNT:] == [None, None]


def test_a_signed_in_account_starts_again_with_a_clean_count() -> None:
    gate = LoginGate(STAFFING)
    for _ in range(ACCOUNT_FAILURES - 1):
        gate.check(SUPERVISOR, "c", "0", T0)
    code = gate.ask(SUPERVISOR, "c", T0)
    assert code is not None
    assert gate.check(SUPERVISOR, "c", code, T0).outcome is Outcome.SIGNED_IN
    assert gate.check(SUPERVISOR, "c", "0", T0).outcome is Outcome.WRONG


def test_a_typed_account_is_trimmed_and_bounded() -> None:
    assert typed_account("  @a:b \n") == "@a:b"
    assert len(typed_account("@" + "x" * 1000)) == 255


# -- sessions and CSRF --------------------------------------------------------


def test_an_anonymous_session_becomes_a_signed_in_one_under_a_new_id() -> None:
    sessions = Sessions()
    old_id, anonymous = sessions.start(T0)
    assert not anonymous.signed_in
    new_id = sessions.sign_in(old_id, SUPERVISOR, ConsoleRole.SUPERVISOR, T0 + 1)
    assert new_id != old_id
    assert sessions.get(old_id, T0 + 2) is None
    signed_in = sessions.get(new_id, T0 + 2)
    assert signed_in is not None and signed_in.signed_in
    assert signed_in.csrf != anonymous.csrf


def test_a_session_ends_after_idling() -> None:
    sessions = Sessions()
    old_id, _ = sessions.start(T0)
    session_id = sessions.sign_in(old_id, SUPERVISOR, ConsoleRole.SUPERVISOR, T0)
    assert sessions.get(session_id, T0 + IDLE_SECONDS - 1) is not None
    # Each request resets the idle clock...
    assert sessions.get(session_id, T0 + 2 * IDLE_SECONDS - 2) is not None
    # ...and a pause longer than the idle limit ends it for good.
    assert sessions.get(session_id, T0 + 3 * IDLE_SECONDS) is None
    assert sessions.get(session_id, T0 + 3 * IDLE_SECONDS - 10) is None


def test_a_busy_session_still_ends_at_its_longest() -> None:
    sessions = Sessions()
    old_id, _ = sessions.start(T0)
    session_id = sessions.sign_in(old_id, SUPERVISOR, ConsoleRole.SUPERVISOR, T0)
    now = T0
    while now < T0 + LONGEST_SECONDS - 60:
        now += 60
        assert sessions.get(session_id, now) is not None
    assert sessions.get(session_id, T0 + LONGEST_SECONDS + 1) is None


def test_an_anonymous_session_lasts_only_as_long_as_a_login() -> None:
    sessions = Sessions()
    session_id, _ = sessions.start(T0)
    assert sessions.get(session_id, T0 + 60) is not None
    assert sessions.get(session_id, T0 + ANONYMOUS_SECONDS + 1) is None


def test_a_logged_out_session_is_gone() -> None:
    sessions = Sessions()
    session_id, _ = sessions.start(T0)
    sessions.end(session_id)
    assert sessions.get(session_id, T0) is None
    assert sessions.get(None, T0) is None
    assert sessions.get("", T0) is None


def test_only_a_hash_of_a_session_id_is_held() -> None:
    sessions = Sessions()
    session_id, _ = sessions.start(T0)
    assert session_id not in repr(vars(sessions))


def test_csrf_needs_the_sessions_own_token() -> None:
    sessions = Sessions()
    _, session = sessions.start(T0)
    _, other = sessions.start(T0)
    assert csrf_ok(session, session.csrf)
    for wrong in (None, "", other.csrf, session.csrf + "x", "\udcff"):
        assert not csrf_ok(session, wrong)


def test_a_flood_of_anonymous_sessions_never_pushes_out_signed_in_staff() -> None:
    sessions = Sessions()
    old_id, _ = sessions.start(T0)
    staff_id = sessions.sign_in(old_id, SUPERVISOR, ConsoleRole.SUPERVISOR, T0)
    for _ in range(10_050):
        sessions.start(T0 + 1)
    assert sessions.get(staff_id, T0 + 2) is not None
    assert len(sessions._held) <= 10_000


# -- the escalation timeline's words --------------------------------------------


def test_a_timeline_step_names_roles_but_never_who_acted() -> None:
    assert step_label("reescalated", "on_call,supervisor") == "re-escalated to on-call, supervisor"
    assert step_label("acknowledged", "@mediator:example.org") == "acknowledged"
    assert step_label("resolved", "@boss:example.org") == "resolved"
    assert step_label("reescalated", "@someone:example.org") == "re-escalated"
    assert step_label("sent", "3") == "page sent"
    assert step_label("something_new", "@x:y") == "something_new"
