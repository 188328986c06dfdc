"""One-time codes that tie a Telegram account to an enrolment.

A mediator enrols ``telegram:USERNAME_OR_ID``; the participant gets a link
``https://t.me/<bot>?start=<code>``, and pressing Start sends ``/start <code>``
from their account. The code is kept only as a keyed digest (the vault holds
nothing that could be typed back in), works once, for the account it was issued
to, and for seven days. A wrong, reused, expired or misdirected code gets the
same neutral answer from the caller: nothing tells a stranger which it was.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bot import logs
from bot.errors import SamtalError
from bot.transports.telegram.updates import PREFIX, address
from safety.vault import Vault
from safety.vault.store import SYSTEM_OWNER

KIND = "telegram_enrolment_code"
LIFETIME_SECONDS = 7 * 24 * 3600
CODE_CHARS = 32
_CODE = re.compile(r"[A-Za-z0-9_-]{32}")
# Telegram usernames: 5-32 of letters, digits and underscores, starting with a letter.
_USERNAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{3,31}")


class BadTarget(SamtalError):
    """What was given is neither a Telegram user id nor a username."""


@dataclass(frozen=True)
class Pending:
    """An enrolment waiting for its participant, now known by their account."""

    person: str  # telegram:<user id> of whoever redeemed the code
    language: str
    mediator: str | None
    schedule: str | None = None
    # The code's record, spent once the enrolment is saved.
    digest: str = field(default="", compare=False, repr=False)


def parse_target(target: str) -> tuple[int | None, str | None]:
    """``telegram:123`` -> (123, None); ``telegram:alice`` or ``telegram:@alice`` ->
    (None, "alice")."""
    if not target.startswith(PREFIX):
        raise BadTarget("a Telegram participant is written telegram:<username or user id>")
    rest = target[len(PREFIX) :].removeprefix("@")
    if rest.isdigit() and 0 < int(rest) < 2**63:
        return int(rest), None
    if _USERNAME.fullmatch(rest):
        return None, rest
    raise BadTarget("a Telegram participant is written telegram:<username or user id>")


def deep_link(bot_username: str, code: str) -> str:
    return f"https://t.me/{bot_username.removeprefix('@')}?start={code}"


class EnrolmentCodes:
    def __init__(self, vault: Vault, clock: Callable[[], float] = time.time) -> None:
        self._vault = vault
        self._clock = clock
        self._key = vault.derived_key("samtal:telegram-enrolment-code:v1")

    def issue(
        self, target: str, language: str, mediator: str | None, schedule: str | None = None
    ) -> str:
        """A fresh code for ``target`` (checked here, so a typo fails at once)."""
        user_id, username = parse_target(target)
        code = secrets.token_urlsafe(24)  # 32 characters, 192 random bits
        digest = self._digest(code)
        self._vault.put(
            KIND,
            SYSTEM_OWNER,
            digest,
            {
                "digest": digest,
                "user_id": user_id,
                "username": username,
                "language": language,
                "mediator": mediator,
                "schedule": schedule,
                "expires_at": self._clock() + LIFETIME_SECONDS,
            },
        )
        logs.event("telegram_code_issued")
        return code

    def redeem(self, code: str, user_id: int, username: str | None) -> Pending | None:
        """The enrolment ``code`` was issued for, if it is ``user_id``'s to use.

        The code is marked as theirs, and spent (`spend`) only once the enrolment is
        saved: if that fails, the same account pressing Start again still enrols.
        Any code that reached the wrong account is spent at once: the link leaked,
        and the mediator issues a new one."""
        if not _CODE.fullmatch(code):
            logs.event("telegram_code_refused", reason="malformed")
            return None
        digest = self._digest(code)
        record = self._vault.get(KIND, SYSTEM_OWNER, digest)
        if not isinstance(record, dict):
            logs.event("telegram_code_refused", reason="unknown")
            return None
        if self._clock() >= float(record.get("expires_at", 0)):
            self._vault.delete(KIND, SYSTEM_OWNER, digest)
            logs.event("telegram_code_refused", reason="expired")
            return None
        redeemed_by = record.get("redeemed_by")
        meant = (
            redeemed_by == user_id
            if redeemed_by is not None
            else _meant_for(record, user_id, username)
        )
        if not meant:
            self._vault.delete(KIND, SYSTEM_OWNER, digest)
            logs.warning("telegram_code_refused", reason="other_account")
            return None
        if redeemed_by is None:
            self._vault.put(KIND, SYSTEM_OWNER, digest, {**record, "redeemed_by": user_id})
        logs.event("telegram_code_redeemed", again=redeemed_by is not None)
        mediator, schedule = record.get("mediator"), record.get("schedule")
        return Pending(
            person=address(user_id),
            language=str(record.get("language")),
            mediator=mediator if isinstance(mediator, str) else None,
            schedule=schedule if isinstance(schedule, str) else None,
            digest=digest,
        )

    def spend(self, pending: Pending) -> None:
        """The enrolment is saved: the code works no more."""
        if pending.digest:
            self._vault.delete(KIND, SYSTEM_OWNER, pending.digest)

    def purge_expired(self) -> int:
        """Drop codes nobody used in time; returns how many."""
        now = self._clock()
        expired = [
            record
            for _owner, record in self._vault.items(KIND, SYSTEM_OWNER)
            if isinstance(record, dict) and now >= float(record.get("expires_at", 0))
        ]
        # The vault lists values, not keys; an expired record names its own digest.
        for record in expired:
            digest = record.get("digest")
            if isinstance(digest, str):
                self._vault.delete(KIND, SYSTEM_OWNER, digest)
        return len(expired)

    def _digest(self, code: str) -> str:
        return hmac.new(self._key, code.encode("ascii"), hashlib.sha256).hexdigest()


def _meant_for(record: dict[str, object], user_id: int, username: str | None) -> bool:
    wanted_id = record.get("user_id")
    if isinstance(wanted_id, int):
        return wanted_id == user_id
    wanted_name = record.get("username")
    return (
        isinstance(wanted_name, str)
        and username is not None
        and wanted_name.casefold() == username.casefold()
    )
