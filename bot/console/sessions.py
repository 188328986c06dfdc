"""Console sessions, held in memory only: a stopped gateway logs everyone out.

A session starts anonymous (the login form needs a CSRF token and a place to
remember whose code was asked for) and becomes a signed-in one only under a
fresh id, so an id planted before the login is worth nothing after it. Only a
hash of each id is kept. Pure: the caller passes the time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, replace
from enum import Enum

IDLE_SECONDS = 15 * 60.0
LONGEST_SECONDS = 8 * 3600.0
# An anonymous session lives only as long as a login takes.
ANONYMOUS_SECONDS = 15 * 60.0
_MAX_SESSIONS = 10_000


class ConsoleRole(Enum):
    SUPERVISOR = "supervisor"  # everything
    MEDIATOR = "mediator"  # read-only, their own participants only


@dataclass(frozen=True)
class Session:
    csrf: str
    started_at: float
    seen_at: float
    # Set once signed in.
    account: str | None = None
    role: ConsoleRole | None = None
    # Whose code this browser asked for (any typed id, known or not).
    asked_for: str | None = None
    # Participant pseudonym → until when a stated reason opened their content.
    opened: tuple[tuple[str, float], ...] = ()

    @property
    def signed_in(self) -> bool:
        return self.account is not None and self.role is not None

    def open_until(self, participant: str, now: float) -> float | None:
        for who, until in self.opened:
            if who == participant and until > now:
                return until
        return None


def _key(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8", "surrogateescape")).hexdigest()


def csrf_ok(session: Session, presented: str | None) -> bool:
    if not presented:
        return False
    return hmac.compare_digest(session.csrf.encode(), presented.encode("utf-8", "surrogateescape"))


def expired(session: Session, now: float) -> bool:
    if session.signed_in:
        return now - session.seen_at > IDLE_SECONDS or now - session.started_at > LONGEST_SECONDS
    return now - session.started_at > ANONYMOUS_SECONDS


class Sessions:
    def __init__(self) -> None:
        self._held: dict[str, Session] = {}

    def start(self, now: float) -> tuple[str, Session]:
        """A new anonymous session: its id (for the cookie) and the session."""
        if len(self._held) >= _MAX_SESSIONS:
            self._sweep(now)
        session_id = secrets.token_urlsafe(32)
        session = Session(csrf=secrets.token_urlsafe(32), started_at=now, seen_at=now)
        self._held[_key(session_id)] = session
        return session_id, session

    def get(self, session_id: str | None, now: float) -> Session | None:
        """The live session under this id, its idle clock reset; None if there is
        none or it expired (an expired one is ended on the spot)."""
        if not session_id:
            return None
        key = _key(session_id)
        session = self._held.get(key)
        if session is None:
            return None
        if expired(session, now):
            del self._held[key]
            return None
        session = replace(session, seen_at=now)
        self._held[key] = session
        return session

    def update(self, session_id: str, session: Session) -> None:
        key = _key(session_id)
        if key in self._held:
            self._held[key] = session

    def sign_in(self, old_id: str, account: str, role: ConsoleRole, now: float) -> str:
        """End the anonymous session and start a signed-in one under a new id
        and a new CSRF token."""
        self._held.pop(_key(old_id), None)
        session_id = secrets.token_urlsafe(32)
        self._held[_key(session_id)] = Session(
            csrf=secrets.token_urlsafe(32),
            started_at=now,
            seen_at=now,
            account=account,
            role=role,
        )
        return session_id

    def end(self, session_id: str) -> Session | None:
        return self._held.pop(_key(session_id), None)

    def _sweep(self, now: float) -> None:
        for key in [k for k, s in self._held.items() if expired(s, now)]:
            del self._held[key]
        if len(self._held) >= _MAX_SESSIONS:
            # Still full of live anonymous sessions: someone is filling it. The
            # oldest anonymous ones go; signed-in staff are never pushed out.
            anonymous = sorted((s.started_at, k) for k, s in self._held.items() if not s.signed_in)
            for _, key in anonymous[: len(anonymous) // 2 + 1]:
                del self._held[key]
