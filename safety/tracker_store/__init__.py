"""Rasa's tracker store on the vault: one sealed record per conversation session.

``EncryptedTrackerStore`` needs Rasa and is loaded on first access, so the rest
of this package (the journal, its settings) imports without Rasa too.
"""

from __future__ import annotations

from typing import Any

from safety.tracker_store.journal import JournalLimits, TrackerJournal
from safety.tracker_store.settings import TrackerStoreSettings

__all__ = ["EncryptedTrackerStore", "JournalLimits", "TrackerJournal", "TrackerStoreSettings"]


def __getattr__(name: str) -> Any:
    if name == "EncryptedTrackerStore":
        from safety.tracker_store.rasa_store import EncryptedTrackerStore

        return EncryptedTrackerStore
    raise AttributeError(name)
