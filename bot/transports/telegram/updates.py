"""What a Bot API update means to the pipeline. Pure: no I/O, no logging.

A message in a private chat becomes an ``Inbound``, a ``/start`` command a
``StartCommand`` (the deep link a mediator handed out carries its code), and
everything else (groups, channels, the bot's own kind, service notes) is None:
the bot talks one-to-one only. Only text is kept: a message's text, or the
caption the participant wrote under a photo or file (screened as their text; the
file itself is never fetched). A location's coordinates, a poll's question are
never read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiogram.types import Message, Update

from bot.core.kinds import Kind, read_as
from bot.core.model import Inbound
from bot.ids import EventId, MatrixUserId, RoomId

PREFIX = "telegram:"
# Telegram's limit for a /start payload.
MAX_START_PAYLOAD = 64
_START = re.compile(r"/start(?:@[A-Za-z0-9_]{1,64})?(?:[ \t\n]+(?P<payload>\S*))?\s*", re.DOTALL)

_MEDIA_FIELDS = (
    "photo",
    "document",
    "voice",
    "audio",
    "video",
    "video_note",
    "sticker",
    "animation",
    "contact",
    "dice",
    "game",
    "story",
    "paid_media",
    "checklist",
    "invoice",
)
_LOCATION_FIELDS = ("location", "venue")


@dataclass(frozen=True)
class StartCommand:
    """Someone pressed Start, with or without a deep link's code.

    ``username`` is there only to redeem a code issued to a username; it is an
    identifier, never logged or kept.
    """

    code: str | None
    person: str  # telegram:<user id>
    conversation: str  # telegram:<chat id>
    user_id: int
    username: str | None
    event_id: str
    timestamp_ms: int


Arrival = Inbound | StartCommand


def address(telegram_id: int) -> str:
    """A person's or a chat's id as the rest of the gateway writes it."""
    return f"{PREFIX}{telegram_id}"


def telegram_id(address_: str) -> int | None:
    """The number behind ``telegram:<id>``, or None for anything else."""
    if not address_.startswith(PREFIX):
        return None
    rest = address_[len(PREFIX) :]
    if not rest.lstrip("-").isdigit() or rest.startswith("--"):
        return None
    return int(rest)


def event_id_of(chat_id: int, message_id: int) -> str:
    return f"{PREFIX}{chat_id}:{message_id}"


def to_update(update: Update | Mapping[str, Any]) -> Update:
    return update if isinstance(update, Update) else Update.model_validate(dict(update))


def convert(update: Update | Mapping[str, Any], bot_address: str) -> Arrival | None:
    """The pipeline's view of one update, or None when it is not for the pipeline."""
    parsed = to_update(update)
    if parsed.message is not None:
        return _message(parsed.message, bot_address, edited=False)
    if parsed.edited_message is not None:
        return _message(parsed.edited_message, bot_address, edited=True, update_id=parsed.update_id)
    return None


def _message(
    message: Message, bot_address: str, *, edited: bool, update_id: int = 0
) -> Arrival | None:
    sender = message.from_user
    if message.chat.type != "private" or sender is None or sender.is_bot:
        return None
    # In a private chat the chat is the person; anything else is not one-to-one.
    if message.chat.id != sender.id:
        return None
    person = address(sender.id)
    conversation = address(message.chat.id)
    original = event_id_of(message.chat.id, message.message_id)
    sent_at = message.edit_date if edited and message.edit_date else message.date.timestamp()
    timestamp_ms = int(sent_at * 1000)
    kind = read_as(kind_of(message), message.caption)
    words = message.text if message.text is not None else message.caption
    text = clean_text(words) if kind is Kind.TEXT and words else ""
    # Only typed text is a command: a caption reading "/start …" is screened as words.
    if not edited and kind is Kind.TEXT and message.text is not None:
        start = _START.fullmatch(text)
        if start is not None:
            payload = start.group("payload")
            return StartCommand(
                code=payload[:MAX_START_PAYLOAD] if payload else None,
                person=person,
                conversation=conversation,
                user_id=sender.id,
                username=sender.username,
                event_id=original,
                timestamp_ms=timestamp_ms,
            )
    return Inbound(
        # An edit is a new event of its own (the turn ledger must not take it for
        # the original), pointing at the message it replaces; named by its update,
        # since two edits can fall in the same second.
        event_id=EventId(f"{original}:edit:{update_id}" if edited else original),
        sender=MatrixUserId(person),
        room_id=RoomId(conversation),
        text=text,
        room_encrypted=False,
        encryptable=False,  # a Telegram chat with a bot never is; consent says so
        room_members=frozenset({bot_address, person}),
        timestamp_ms=timestamp_ms,
        replaces=EventId(original) if edited else None,
        kind=kind,
        caption=message.text is None and kind is Kind.TEXT,
    )


def kind_of(message: Message) -> Kind:
    """From which fields are present, never from what they hold."""
    if message.text is not None:
        return Kind.TEXT
    if message.poll is not None:
        return Kind.POLL
    if any(getattr(message, name, None) is not None for name in _LOCATION_FIELDS):
        return Kind.LOCATION
    if any(getattr(message, name, None) is not None for name in _MEDIA_FIELDS):
        return Kind.MEDIA
    # Service notes (a pinned message, a changed timer) are nothing to answer.
    return Kind.OTHER


def clean_text(text: str) -> str:
    """Text that is valid UTF-8: a lone surrogate (JSON can carry one) becomes U+FFFD."""
    return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
