"""What the bot said in each participant's chat, so it can be taken back.

Telegram keeps no list a bot could ask for, and lets a bot delete its own
messages for 48 hours only. So each message id is recorded with its send time,
sealed under the participant's pseudonym: shredding the participant makes the
record unreadable with everything else of theirs. Older ids are kept as a count
alone, which is all forgetting needs (they are reported as kept, not deleted).

The same record maps each idempotency key to the message it produced: a notice
sent again with that key after a crash returns the recorded id instead of
reaching the participant twice. (A crash between Telegram's answer and this
write can still send twice; Telegram has no transaction ids to prevent it.)
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from safety.vault import Vault

KIND = "telegram_sent"
DELETABLE_SECONDS = 48 * 3600
# Keys answer resends after a crash or a retry, which come within minutes; the
# newest few hundred are plenty and keep the record small.
KEYS_KEPT = 300


@dataclass
class SentLog:
    """One chat's record. ``messages`` holds (message id, sent at) still deletable."""

    messages: list[tuple[int, float]] = field(default_factory=list)
    keys: dict[str, int] = field(default_factory=dict)
    expired: int = 0  # sent longer ago than Telegram lets a bot delete
    started: bool = False  # the person has written to the bot

    def to_record(self) -> dict[str, Any]:
        return {
            "messages": [[m, at] for m, at in self.messages],
            "keys": self.keys,
            "expired": self.expired,
            "started": self.started,
        }

    @classmethod
    def from_record(cls, record: Any) -> SentLog:
        if not isinstance(record, dict):
            return cls()
        messages = [
            (int(m), float(at))
            for m, at in record.get("messages", [])
            if isinstance(m, int) and isinstance(at, int | float)
        ]
        keys = {str(k): int(v) for k, v in record.get("keys", {}).items() if isinstance(v, int)}
        expired = record.get("expired", 0)
        return cls(
            messages=messages,
            keys=keys,
            expired=expired if isinstance(expired, int) else 0,
            started=record.get("started") is True,
        )


def aged(log: SentLog, now: float) -> SentLog:
    """The log with messages past Telegram's deletion window turned into a count."""
    fresh = [(m, at) for m, at in log.messages if now - at < DELETABLE_SECONDS]
    return SentLog(
        messages=fresh,
        keys=log.keys,
        expired=log.expired + len(log.messages) - len(fresh),
        started=log.started,
    )


def with_sent(log: SentLog, message_id: int, key: str | None, now: float) -> SentLog:
    keys = log.keys if key is None else {**log.keys, key: message_id}
    if len(keys) > KEYS_KEPT:
        keys = dict(list(keys.items())[-KEYS_KEPT:])
    return SentLog(
        messages=[*log.messages, (message_id, now)],
        keys=keys,
        expired=log.expired,
        started=log.started,
    )


class SentMessages:
    """The sealed records, one per participant and chat."""

    def __init__(self, vault: Vault, clock: Callable[[], float] = time.time) -> None:
        self._vault = vault
        self._clock = clock

    def log(self, owner: str, conversation: str) -> SentLog:
        found = self._vault.get(KIND, owner, conversation)
        return aged(SentLog.from_record(found), self._clock())

    def sent_for(self, owner: str, conversation: str, key: str) -> int | None:
        """The message an earlier notice with ``key`` produced, if any."""
        return self.log(owner, conversation).keys.get(key)

    def record(self, owner: str, conversation: str, message_id: int, key: str | None) -> None:
        """A message sent; ``key`` only once everything the notice held was sent."""
        log = with_sent(self.log(owner, conversation), message_id, key, self._clock())
        self._put(owner, conversation, log)

    def removed(self, owner: str, conversation: str, message_id: int) -> None:
        log = self.log(owner, conversation)
        log.messages = [(m, at) for m, at in log.messages if m != message_id]
        self._put(owner, conversation, log)

    def mark_started(self, owner: str, conversation: str) -> None:
        log = self.log(owner, conversation)
        if not log.started:
            log.started = True
            self._put(owner, conversation, log)

    def started(self, owner: str, conversation: str) -> bool:
        return self.log(owner, conversation).started

    def drop(self, owner: str, conversation: str) -> None:
        self._vault.delete(KIND, owner, conversation)

    def _put(self, owner: str, conversation: str, log: SentLog) -> None:
        self._vault.put(KIND, owner, conversation, log.to_record())
