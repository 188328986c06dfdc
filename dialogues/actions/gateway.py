"""The metadata the gateway sends with every message.

``{"language": "sv"|"en", "consented": bool, "consent_version": "v1",
"next_checkin": "2026-11-28T18:00:00+01:00"}`` (``next_checkin`` optional).
The gateway is authoritative for all of them.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker

DEFAULT_LANGUAGE = "sv"
SESSION_START_INTENT = "session_start"
SESSION_METADATA_SLOT = "session_started_metadata"
# trigger_intent writes external user turns with this text prefix
EXTERNAL_PREFIX = "EXTERNAL: "


def metadata(tracker: Tracker) -> dict[str, Any]:
    """The metadata of the latest user message, or an empty dict."""
    latest = tracker.latest_message or {}
    meta = latest.get("metadata")
    return meta if isinstance(meta, dict) else {}


def session_metadata(tracker: Tracker) -> dict[str, Any]:
    """The metadata that came with the start of this session.

    An explicit ``/session_start`` message carries it itself; a session that
    Rasa started on its own (new or expired) has it in a slot.
    """
    if latest_intent(tracker) == SESSION_START_INTENT:
        meta = metadata(tracker)
        if meta:
            return meta
    value = tracker.get_slot(SESSION_METADATA_SLOT)
    return value if isinstance(value, dict) else {}


def set_in_this_session(tracker: Tracker, slot: str) -> bool:
    """Whether anything in the current session has set ``slot`` (newest first)."""
    for event in reversed(tracker.events or []):
        if event.get("event") == "session_started":
            return False
        if event.get("event") == "slot" and event.get("name") == slot:
            return True
    return False


def latest_intent(tracker: Tracker) -> str | None:
    intent = (tracker.latest_message or {}).get("intent") or {}
    name = intent.get("name") if isinstance(intent, dict) else None
    return name if isinstance(name, str) else None


def latest_entity(tracker: Tracker, entity: str) -> str | None:
    for found in (tracker.latest_message or {}).get("entities") or []:
        if isinstance(found, dict) and found.get("entity") == entity:
            value = found.get("value")
            if isinstance(value, str):
                return value
    return None


def is_external(tracker: Tracker) -> bool:
    """True when the latest user turn came from trigger_intent, not from text."""
    text = (tracker.latest_message or {}).get("text")
    return isinstance(text, str) and text.startswith(EXTERNAL_PREFIX)


def language(tracker: Tracker) -> str:
    """The conversation's language (the slot), Swedish if unknown."""
    value = tracker.get_slot("language")
    return value if isinstance(value, str) and value else DEFAULT_LANGUAGE
