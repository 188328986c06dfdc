"""Collect what a sync delivered, so it is handled after the sync, in order.

nio runs event callbacks inside ``sync``; doing real work there would tie the
sync position to half-handled events. The callbacks only queue.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from nio import (
    AsyncClient,
    BadEvent,
    Event,
    InviteMemberEvent,
    MatrixRoom,
    MegolmEvent,
    ReactionEvent,
    RedactedEvent,
    UnknownBadEvent,
)

from bot import logs
from bot.core.kinds import MEDIA_MSGTYPES, NOT_READ, Kind, kind_of, read_as
from bot.core.model import Inbound, Reaction
from bot.core.own_words import own_words
from bot.ids import EventId, MatrixUserId, RoomId

# Everything a room timeline can deliver, decrypted or not, well-formed or not.
TimelineEvent: TypeAlias = Event | BadEvent | UnknownBadEvent


@dataclass(frozen=True)
class Invite:
    room_id: RoomId
    inviter: MatrixUserId


def device_key_of(event: TimelineEvent) -> str | None:
    """The sending device's Curve25519 key, for an event that came encrypted."""
    if not getattr(event, "decrypted", False):
        return None
    key = getattr(event, "sender_key", None)
    return key if isinstance(key, str) and key else None


@dataclass
class Batch:
    messages: list[Inbound] = field(default_factory=list)
    invites: dict[str, Invite] = field(default_factory=dict)
    undecryptable: list[MegolmEvent] = field(default_factory=list)
    reactions: list[Reaction] = field(default_factory=list)

    def clear(self) -> None:
        self.messages.clear()
        self.invites.clear()
        self.undecryptable.clear()
        self.reactions.clear()


def _source(event: TimelineEvent) -> dict[str, Any]:
    source = event.source
    return source if isinstance(source, dict) else {}


def _content(source: dict[str, Any]) -> dict[str, Any]:
    content = source.get("content")
    return content if isinstance(content, dict) else {}


_SURROGATE = re.compile("[\ud800-\udfff]")


def _utf8(text: str) -> str:
    """Text UTF-8 can carry: a JSON string may hold a lone surrogate ("\\ud800"), which
    the vault, Rasa and the logs could not encode; it becomes U+FFFD, the rest is kept."""
    return text if text.isascii() else _SURROGATE.sub("\ufffd", text)


def _timestamp(value: Any) -> int:
    """The server's timestamp in ms, or 0 where a malformed event has none usable."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return 0
    return int(value) if math.isfinite(value) else 0


def caption_of(content: dict[str, Any]) -> str | None:
    """A file's caption (Matrix 1.10, MSC2530): its body when a `filename` differs from
    it or a `formatted_body` carries it; otherwise the body is the file's name, which is
    never read. An edited caption is in `m.new_content`."""
    relation = content.get("m.relates_to")
    new = content.get("m.new_content")
    if isinstance(relation, dict) and relation.get("rel_type") == "m.replace":
        content = new if isinstance(new, dict) else content
    msgtype, body, filename = content.get("msgtype"), content.get("body"), content.get("filename")
    # A malformed event's msgtype may be a list, which no set can be asked about.
    if not isinstance(msgtype, str) or msgtype not in MEDIA_MSGTYPES or not isinstance(body, str):
        return None
    captioned = isinstance(filename, str) and filename != body
    return body if captioned or isinstance(content.get("formatted_body"), str) else None


def _identified(source: dict[str, Any]) -> bool:
    """Whether the event names its id and sender, as text: the pipeline needs both."""
    event_id, sender = source.get("event_id"), source.get("sender")
    return isinstance(event_id, str) and bool(event_id) and isinstance(sender, str) and bool(sender)


def to_inbound(
    room: MatrixRoom, event: TimelineEvent, kind: Kind = Kind.TEXT, caption: bool = False
) -> Inbound:
    """The message as the turn pipeline sees it. Only text is read out of the event
    (a file's caption included, as ``take`` found it): for any other kind the content
    (a file's name, a location's coordinates) is left behind here and never reaches
    the vault or a log."""
    source = _source(event)
    words = own_words(_content(source)) if kind is Kind.TEXT else None
    return Inbound(
        event_id=EventId(str(source.get("event_id", ""))),
        sender=MatrixUserId(str(source.get("sender", ""))),
        room_id=RoomId(room.room_id),
        text=_utf8(words.text) if words else "",
        room_encrypted=room.encrypted,
        room_members=frozenset(room.users),
        timestamp_ms=_timestamp(source.get("origin_server_ts")),
        replaces=EventId(words.replaces) if words and words.replaces else None,
        kind=kind,
        caption=caption,
        device_key=device_key_of(event),
    )


class Intake:
    def __init__(self, client: AsyncClient, bot_user_id: str) -> None:
        self.batch = Batch()
        self._bot = bot_user_id
        client.add_event_callback(self._on_event, (Event, BadEvent, UnknownBadEvent))
        client.add_event_callback(self._on_invite, InviteMemberEvent)

    async def _on_event(self, room: MatrixRoom, event: TimelineEvent) -> None:
        self.take(room, event)

    def take(self, room: MatrixRoom, event: TimelineEvent) -> None:
        """Queue one timeline event for the batch, or log why it needs nothing.

        Room state is nio's business (membership, encryption); every other event
        is either queued or dropped with a content-free reason."""
        source = _source(event)
        if source.get("sender") == self._bot or "state_key" in source:
            return
        if isinstance(event, MegolmEvent):
            self.batch.undecryptable.append(event)
            return
        if isinstance(event, RedactedEvent):
            # Redacted before the gateway saw it: nothing is left to screen.
            logs.event("message_redacted_before_read")
            return
        content = _content(source)
        sent_as = kind_of(str(source.get("type", "")), content)
        kind = read_as(sent_as, caption_of(content))
        caption = sent_as is not kind
        malformed = isinstance(event, (BadEvent, UnknownBadEvent))
        if kind is Kind.TEXT and not malformed:
            self.batch.messages.append(to_inbound(room, event, caption=caption))
        elif kind is Kind.TEXT and _identified(source) and own_words(_content(source)).text.strip():
            # A client malformed something else (a formatted_body that is not a string):
            # the body is still the participant's words, and every message is screened.
            logs.warning("event_malformed_text_read", message_kind=kind.value)
            self.batch.messages.append(to_inbound(room, event, caption=caption))
        elif kind in NOT_READ and _identified(source):
            self.batch.messages.append(to_inbound(room, event, kind))
        elif isinstance(event, ReactionEvent):
            self.batch.reactions.append(
                Reaction(
                    room_id=RoomId(room.room_id),
                    sender=MatrixUserId(event.sender),
                    reacts_to=EventId(event.reacts_to),
                    key=event.key,
                    device_key=device_key_of(event),
                )
            )
        elif kind is Kind.REDACTION:
            # What was screened stays screened: a retracted threat still counts.
            logs.event("redaction_noted")
        elif isinstance(event, (BadEvent, UnknownBadEvent)):
            logs.warning("event_malformed", message_kind=kind.value)
        else:
            logs.event("event_ignored", message_kind=kind.value)

    def take_earlier(self, room: MatrixRoom, events: list[TimelineEvent]) -> None:
        """Queue events that came before this batch's own (a backfilled gap), ahead of
        them, oldest first."""
        later = self.batch.messages
        self.batch.messages = []
        for event in events:
            self.take(room, event)
        self.batch.messages.extend(later)

    async def _on_invite(self, room: MatrixRoom, event: InviteMemberEvent) -> None:
        if event.state_key != self._bot or event.membership != "invite":
            return
        self.batch.invites[room.room_id] = Invite(
            room_id=RoomId(room.room_id),
            inviter=MatrixUserId(event.sender),
        )
