"""The metadata the gateway sends with every message.

``{"language": "sv"|"en", "consented": bool, "consent_version": "v1"}``.
The gateway is authoritative for all three.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker

DEFAULT_LANGUAGE = "sv"


def metadata(tracker: Tracker) -> dict[str, Any]:
    """The metadata of the latest user message, or an empty dict."""
    latest = tracker.latest_message or {}
    meta = latest.get("metadata")
    return meta if isinstance(meta, dict) else {}


def language(tracker: Tracker) -> str:
    """The conversation's language (the slot), Swedish if unknown."""
    value = tracker.get_slot("language")
    return value if isinstance(value, str) and value else DEFAULT_LANGUAGE
