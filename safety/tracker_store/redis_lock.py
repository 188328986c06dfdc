"""Rasa's RedisLockStore with atomic ticket updates, for several Rasa servers.

Rasa 3.6's ``RedisLockStore`` changes a conversation's ticket lock by GET, edit
in the process, SET. Two servers that receive turns of one conversation at the
same moment can both read the same lock, issue the same ticket and run both
turns at once; a cleanup can also overwrite a ticket another server just added
(RasaHQ/rasa#9213; Rasa's fix went to the commercial edition only). Here every
read-modify-write of a lock runs in a Redis WATCH/MULTI transaction and is
retried when another server changed the lock in between. The lock format and
keys are Rasa's own, so servers may switch between the two classes.

endpoints.yml::

    lock_store:
      type: safety.tracker_store.redis_lock.AtomicRedisLockStore
      url: 127.0.0.1
      port: 6379
      password: ${REDIS_PASSWORD}
      key_prefix: samtal

This module imports Rasa and redis, so it loads only in .venv-rasa.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from rasa.core.lock import TicketLock  # type: ignore[import-not-found]
from rasa.core.lock_store import (  # type: ignore[import-not-found]
    LOCK_LIFETIME,
    LockError,
    RedisLockStore,
)
from redis.exceptions import RedisError, WatchError  # type: ignore[import-not-found]

T = TypeVar("T")
Change = Callable[["TicketLock | None"], "tuple[TicketLock | None, T]"]


class AtomicRedisLockStore(RedisLockStore):  # type: ignore[misc]
    def __init__(self, endpoint_config: Any = None, **options: Any) -> None:
        """Rasa builds custom lock stores as ``cls(endpoint_config=…)``."""
        if endpoint_config is not None:
            options = {
                "host": endpoint_config.url or "localhost",
                **endpoint_config.kwargs,
                **options,
            }
        super().__init__(**options)

    def _update(self, conversation_id: str, change: Change[T]) -> T:
        """Apply ``change`` to the stored lock atomically; None deletes it."""
        key = self.key_prefix + conversation_id
        try:
            with self.red.pipeline() as pipe:
                while True:
                    try:
                        pipe.watch(key)
                        raw = pipe.get(key)
                        lock = TicketLock.from_dict(json.loads(raw)) if raw else None
                        updated, result = change(lock)
                        pipe.multi()
                        if updated is None:
                            pipe.delete(key)
                        else:
                            pipe.set(key, updated.dumps())
                        pipe.execute()
                        return result
                    except WatchError:
                        continue  # another server changed the lock: read it again
        except RedisError as exc:
            raise LockError(f"lock store unavailable: {type(exc).__name__}") from exc

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        def issue(lock: TicketLock | None) -> tuple[TicketLock | None, int]:
            lock = lock or TicketLock(conversation_id)
            return lock, int(lock.issue_ticket(lock_lifetime))

        return self._update(conversation_id, issue)

    def update_lock(self, conversation_id: str) -> None:
        def prune(lock: TicketLock | None) -> tuple[TicketLock | None, None]:
            if lock is not None:
                lock.remove_expired_tickets()
            return lock, None

        self._update(conversation_id, prune)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        def finish(lock: TicketLock | None) -> tuple[TicketLock | None, None]:
            if lock is not None:
                lock.remove_ticket_for(ticket_number)
            return lock, None

        self._update(conversation_id, finish)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Remove the ticket, and the lock with it once nobody waits, in one step."""

        def finish(lock: TicketLock | None) -> tuple[TicketLock | None, None]:
            if lock is None:
                return None, None
            lock.remove_ticket_for(ticket_number)
            return (lock if lock.is_someone_waiting() else None), None

        self._update(conversation_id, finish)
