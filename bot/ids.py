"""Identifier types and pseudonymisation.

Rasa, logs and mediators never see a Matrix id or a phone number. They see a
pseudonym: a keyed hash of transport and user id that is URL-safe (Rasa does
not percent-decode ids in URL paths) and stable for the life of the key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import NewType

MatrixUserId = NewType("MatrixUserId", str)
RoomId = NewType("RoomId", str)
EventId = NewType("EventId", str)
ParticipantId = NewType("ParticipantId", str)
MediatorId = NewType("MediatorId", str)

_PSEUDONYM_CHARS = 26


def pseudonym(key: bytes, transport: str, user_id: str) -> ParticipantId:
    """A URL-safe, lower-case pseudonym: ``p`` followed by 26 base32 characters."""
    digest = hmac.new(key, f"{transport}\0{user_id}".encode(), hashlib.sha256).digest()
    encoded = base64.b32encode(digest).decode("ascii").rstrip("=").lower()
    return ParticipantId("p" + encoded[:_PSEUDONYM_CHARS])


def participant_code(participant: ParticipantId) -> str:
    """A short code a mediator can type, derived from the pseudonym."""
    return "P-" + participant[1:7].upper()
