"""Rasa events as plain dicts: session boundaries and fingerprints.

Nothing here imports Rasa. Events are the dicts that ``Event.as_dict()``
produces; a session begins with ``ActionExecuted(action_session_start)``, the
same place Rasa's own ``get_trackers_for_conversation_sessions`` splits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

SESSION_START_ACTION = "action_session_start"

Event = Mapping[str, Any]
#: (event type, timestamp): enough to recognise a stored event in a tracker
Fingerprint = tuple[str, float]


def fingerprint(event: Event) -> Fingerprint:
    return (str(event.get("event", "")), float(event.get("timestamp") or 0.0))


def starts_session(event: Event) -> bool:
    return event.get("event") == "action" and event.get("name") == SESSION_START_ACTION


def split_sessions(events: Sequence[Event]) -> list[list[Event]]:
    """Cut ``events`` before every session start; the first piece may be empty.

    The first piece continues whatever session came before; each further piece
    is one new session, beginning with its ``action_session_start``.
    """
    pieces: list[list[Event]] = [[]]
    for event in events:
        if starts_session(event):
            pieces.append([])
        pieces[-1].append(event)
    return pieces
