"""Idempotency keys for what the bot sends.

A key is derived from the message being answered and the reply's place among the
answers, so a resend after a crash carries the same key and the messenger (Matrix's
transaction ids) or the transport's own record (Telegram) sends it once.
"""

from __future__ import annotations

import hashlib


def transaction_id(answering: str, index: int) -> str:
    return "samtal-" + hashlib.sha256(f"{answering}\0{index}".encode()).hexdigest()[:32]


def message_key(event_id: str) -> str:
    """What Rasa dedupes a turn by: stable for the event, and naming no one (a
    Telegram event id holds the chat's id)."""
    return hashlib.sha256(f"message\0{event_id}".encode()).hexdigest()[:32]
