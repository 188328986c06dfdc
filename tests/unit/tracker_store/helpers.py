"""Rasa-shaped events without Rasa, and a fixed test KEK."""

from __future__ import annotations

import itertools
from typing import Any

from safety.tracker_store.events import Event
from safety.vault import FileKeyProvider
from safety.vault.keys import key_id_of


def provider(seed: int = 7) -> FileKeyProvider:
    kek = bytes([seed]) * 32
    return FileKeyProvider(kek, key_id_of(kek))


class Conversation:
    """Events shaped like Rasa's ``Event.as_dict()``, with rising timestamps."""

    def __init__(self) -> None:
        self._clock = itertools.count(1_700_000_000_000)

    def _ts(self) -> float:
        return next(self._clock) / 1000

    def session_start(self) -> list[Event]:
        return [
            {"event": "action", "name": "action_session_start", "timestamp": self._ts()},
            {"event": "session_started", "timestamp": self._ts()},
            {"event": "action", "name": "action_listen", "timestamp": self._ts()},
        ]

    def turn(self, text: str) -> list[Event]:
        parse: dict[str, Any] = {"intent": {"name": "inform", "confidence": 0.9}, "text": text}
        return [
            {"event": "user", "text": text, "parse_data": parse, "timestamp": self._ts()},
            {"event": "slot", "name": "mood", "value": text, "timestamp": self._ts()},
            {"event": "action", "name": "utter_reply", "timestamp": self._ts()},
            {"event": "bot", "text": f"you said {text}", "timestamp": self._ts()},
            {"event": "action", "name": "action_listen", "timestamp": self._ts()},
        ]
