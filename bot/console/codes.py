"""One-time login codes: issued for one account and the browser session that
asked, valid a few minutes, good once.

Only a keyed hash of each code is kept, in memory, so neither a memory dump nor
a stray log line can hand someone a code that still works. Pure apart from the
random source, which a test may replace.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass

CODE_DIGITS = 8
CODE_SECONDS = 300.0
# Wrong tries one code survives; the lockout counts them too, across codes.
TRIES_PER_CODE = 3


@dataclass(frozen=True)
class _Pending:
    digest: bytes
    expires_at: float
    tries_left: int


def _random_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def normalised(typed: str) -> str:
    """What a person types: spaces and dashes (as in 1234 5678) do not count."""
    return "".join(ch for ch in typed if ch not in " -\t")


class CodeBook:
    def __init__(self, draw: Callable[[], str] = _random_code) -> None:
        self._draw = draw
        self._key = secrets.token_bytes(32)
        self._pending: dict[str, _Pending] = {}

    def _digest(self, account: str, browser: str, code: str) -> bytes:
        # Keyed with the account, so a code issued to one person is no code for
        # another, and with the browser session that asked, so a code read off a
        # desk is no code in any other browser.
        message = f"{account}\n{browser}\n{code}".encode("utf-8", "surrogateescape")
        return hmac.new(self._key, message, hashlib.sha256).digest()

    def issue(self, account: str, now: float, browser: str = "") -> str:
        """A new code for ``account``, good only in ``browser``; any earlier one
        stops working."""
        code = self._draw()
        self._pending[account] = _Pending(
            self._digest(account, browser, code), now + CODE_SECONDS, TRIES_PER_CODE
        )
        return code

    def redeem(self, account: str, typed: str, now: float, browser: str = "") -> bool:
        """True once for the right code, in time, in the browser it was issued for;
        the code is gone after that, and after its last wrong try."""
        self._forget_expired(now)
        pending = self._pending.get(account)
        if pending is None:
            return False
        if hmac.compare_digest(pending.digest, self._digest(account, browser, normalised(typed))):
            del self._pending[account]
            return True
        if pending.tries_left <= 1:
            del self._pending[account]
        else:
            self._pending[account] = _Pending(
                pending.digest, pending.expires_at, pending.tries_left - 1
            )
        return False

    def withdraw(self, account: str) -> None:
        self._pending.pop(account, None)

    def _forget_expired(self, now: float) -> None:
        for account in [a for a, p in self._pending.items() if p.expires_at <= now]:
            del self._pending[account]
