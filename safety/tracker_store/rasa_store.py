"""``EncryptedTrackerStore``: Rasa's conversation trackers, sealed in the vault.

This module imports Rasa, so it loads only in .venv-rasa (Python 3.10). Rasa
builds it from endpoints.yml (``type: safety.tracker_store.EncryptedTrackerStore``)
as ``EncryptedTrackerStore(host=url, domain=…, event_broker=…, **options)``;
see :mod:`safety.tracker_store.settings` for the options. The storage logic
lives in :class:`~safety.tracker_store.journal.TrackerJournal`, which does not
need Rasa; vault calls run in a worker thread so the event loop stays free.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from typing import Any, overload

from rasa.core.tracker_store import (  # type: ignore[import-not-found]
    SerializedTrackerAsText,
    TrackerStore,
)
from rasa.shared.core.trackers import DialogueStateTracker  # type: ignore[import-not-found]

from safety.errors import ConfigError
from safety.tracker_store.journal import TrackerJournal
from safety.tracker_store.settings import TrackerStoreSettings


class _EventDicts(Sequence[dict[str, Any]]):
    """A tracker's events as dicts, serialised only where the journal looks."""

    def __init__(self, events: Sequence[Any]) -> None:
        self._events = events
        self._dicts: dict[int, dict[str, Any]] = {}

    def __len__(self) -> int:
        return len(self._events)

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        found = self._dicts.get(index)
        if found is None:
            found = self._dicts[index] = dict(self._events[index].as_dict())
        return found


class EncryptedTrackerStore(TrackerStore, SerializedTrackerAsText):  # type: ignore[misc]
    """Stores each conversation session as its own sealed record, owned by the sender."""

    def __init__(
        self,
        domain: Any = None,
        host: str | None = None,
        event_broker: Any = None,
        **options: Any,
    ) -> None:
        if event_broker is not None:
            raise ConfigError(
                "an event broker would publish conversation events outside the vault;"
                " remove event_broker from endpoints.yml"
            )
        try:
            self._journal = TrackerStoreSettings.from_endpoint(host, options).open_journal()
        except (ImportError, AttributeError) as exc:
            # Rasa swallows these two from a custom store and silently falls back
            # to an in-memory one; a misconfigured vault must stop Rasa instead.
            raise ConfigError(f"the encrypted tracker store failed: {type(exc).__name__}") from exc
        super().__init__(domain, None)

    @property
    def journal(self) -> TrackerJournal:
        return self._journal

    def _tracker(self, sender_id: str, events: list[Any] | None) -> DialogueStateTracker | None:
        if not events:
            return None
        return DialogueStateTracker.from_dict(
            sender_id, events, self.domain.slots, self.max_event_history
        )

    async def save(self, tracker: DialogueStateTracker) -> None:
        events = _EventDicts(list(tracker.events))
        await asyncio.to_thread(self._journal.save, tracker.sender_id, events)

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        """The latest session only: all Rasa needs to predict."""
        events = await asyncio.to_thread(self._journal.current, sender_id)
        return self._tracker(sender_id, events)

    async def retrieve_full_tracker(self, conversation_id: str) -> DialogueStateTracker | None:
        events = await asyncio.to_thread(self._journal.full, conversation_id)
        return self._tracker(conversation_id, events)

    async def exists(self, conversation_id: str) -> bool:
        return await asyncio.to_thread(self._journal.exists, conversation_id)

    async def keys(self) -> Iterable[str]:
        return await asyncio.to_thread(self._journal.senders)
