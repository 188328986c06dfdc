"""What kind of thing a participant sent, and what the gateway does with each kind. Pure.

A phone sends far more than text: photos, voice messages, stickers, locations,
polls, reactions, redactions. The gateway reads text only. Everything else is
named here by its event type and message type alone (never by its content), so
each kind is either handled or dropped with a stated reason. A file's caption is
text the participant wrote: the transport finds it, and ``read_as`` makes the
message text, so the caption is screened and the file stays unread.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any


class Kind(Enum):
    TEXT = "text"  # screened and answered
    MEDIA = "media"  # image, file, voice, video, sticker: "I read text only"
    LOCATION = "location"  # as media, and the mediator is told a location was shared
    POLL = "poll"  # as media
    REACTION = "reaction"  # staff acknowledgements in the staff room; otherwise ignored
    REDACTION = "redaction"  # noted; what was screened stays screened
    OTHER = "other"  # state, calls, unknown types: not a message to answer


# Kinds that get the "I read text only" answer.
NOT_READ = frozenset({Kind.MEDIA, Kind.LOCATION, Kind.POLL})

_TEXT_MSGTYPES = frozenset({"m.text", "m.emote", "m.notice"})
# The file msgtypes that may carry a caption (Matrix 1.10, MSC2530).
MEDIA_MSGTYPES = frozenset({"m.image", "m.file", "m.audio", "m.video"})
_POLL_TYPES = frozenset({"m.poll.start", "org.matrix.msc3381.poll.start"})

# One answer per burst: a participant sending ten photos hears it once.
EXPLAIN_EVERY_SECONDS = 120.0


def kind_of(event_type: str, content: Mapping[str, Any]) -> Kind:
    """The kind of a (decrypted) room event, from its type and msgtype only."""
    if event_type == "m.room.message":
        # A malformed event's msgtype may be anything JSON holds, a list included.
        msgtype = content.get("msgtype")
        if not isinstance(msgtype, str):
            return Kind.MEDIA
        if msgtype in _TEXT_MSGTYPES:
            return Kind.TEXT
        if msgtype == "m.location":
            return Kind.LOCATION
        # Any other msgtype, including ones clients invent, carries something the
        # gateway does not read; saying so beats silence.
        return Kind.MEDIA
    if event_type == "m.sticker":
        return Kind.MEDIA
    if event_type in _POLL_TYPES:
        return Kind.POLL
    if event_type == "m.reaction":
        return Kind.REACTION
    if event_type == "m.room.redaction":
        return Kind.REDACTION
    return Kind.OTHER


def read_as(kind: Kind, caption: str | None) -> Kind:
    """Media with a caption counts as text: a threat written under a photo must be
    screened like any other message, and answered as one."""
    if kind is Kind.MEDIA and caption is not None and caption.strip():
        return Kind.TEXT
    return kind


def explain_due(last_explained_at: float | None, now: float) -> bool:
    """Whether to tell the participant again that only text is read."""
    return last_explained_at is None or now - last_explained_at >= EXPLAIN_EVERY_SECONDS
