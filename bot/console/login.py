"""Who may log in to the console, and the decisions of a login: send a code or
not, accept a typed code or not, locked out or not.

Pure: it returns what to do (a code to send, a verdict) and the web layer does
it. Every typed account is treated alike, known or not, so the answers and the
lockout never tell whether an id belongs to staff; only a configured supervisor
or mediator is ever sent anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from bot.console.codes import CodeBook
from bot.console.limits import Limiter
from bot.console.sessions import ConsoleRole

LOCKOUT_SECONDS = 15 * 60.0
# Wrong codes per account before it is locked, whoever typed them.
ACCOUNT_FAILURES = 5
# Wrong codes from one client address, over every account it tried. Behind a
# proxy every client shares its address, so this is higher than the account's.
CLIENT_FAILURES = 20
# Codes sent to one desk: a stranger must not be able to flood it.
CODES_PER_ACCOUNT = 5
CODES_PER_CLIENT = 20
LONGEST_ACCOUNT = 255


@dataclass(frozen=True)
class Staffing:
    supervisors: frozenset[str]
    mediators: frozenset[str]

    def role_of(self, account: str) -> ConsoleRole | None:
        if account in self.supervisors:
            return ConsoleRole.SUPERVISOR
        if account in self.mediators:
            return ConsoleRole.MEDIATOR
        return None


def typed_account(raw: str) -> str:
    """The account id as typed, trimmed; too long an id is cut, never refused, so
    the answer is the same as for any other unknown id."""
    return raw.strip()[:LONGEST_ACCOUNT]


class Outcome(Enum):
    SIGNED_IN = "signed_in"
    WRONG = "wrong"
    LOCKED = "locked"


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    role: ConsoleRole | None = None


class LoginGate:
    def __init__(self, staffing: Staffing, codes: CodeBook | None = None) -> None:
        self._staffing = staffing
        self._codes = codes or CodeBook()
        self._account_failures = Limiter(ACCOUNT_FAILURES, LOCKOUT_SECONDS)
        self._client_failures = Limiter(CLIENT_FAILURES, LOCKOUT_SECONDS)
        self._account_codes = Limiter(CODES_PER_ACCOUNT, LOCKOUT_SECONDS)
        self._client_codes = Limiter(CODES_PER_CLIENT, LOCKOUT_SECONDS)

    def locked(self, account: str, client: str, now: float) -> bool:
        return self._account_failures.blocked(account, now) or self._client_failures.blocked(
            client, now
        )

    def ask(self, account: str, client: str, now: float, browser: str = "") -> str | None:
        """The code to send to ``account``'s desk, good only in ``browser`` (the
        session that asked), or None: not staff for the console, locked out, or
        too many codes asked for already."""
        if self.locked(account, client, now):
            return None
        if self._account_codes.blocked(account, now) or self._client_codes.blocked(client, now):
            return None
        self._account_codes.hit(account, now)
        self._client_codes.hit(client, now)
        if self._staffing.role_of(account) is None:
            return None
        return self._codes.issue(account, now, browser)

    def check(
        self, account: str, client: str, typed: str, now: float, browser: str = ""
    ) -> Verdict:
        if self.locked(account, client, now):
            return Verdict(Outcome.LOCKED)
        role = self._staffing.role_of(account)
        if role is not None and self._codes.redeem(account, typed, now, browser):
            self._account_failures.clear(account)
            self._account_codes.clear(account)
            return Verdict(Outcome.SIGNED_IN, role)
        self._account_failures.hit(account, now)
        self._client_failures.hit(client, now)
        if self.locked(account, client, now):
            # A code outlives no lockout: after it, only a new code can work.
            self._codes.withdraw(account)
            return Verdict(Outcome.LOCKED)
        return Verdict(Outcome.WRONG)
