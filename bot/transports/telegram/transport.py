"""Telegram as the pipeline sees it: one-to-one chats between the bot and a person.

A private chat's id is the person's id, so ``telegram:<id>`` names both. A bot
cannot start a chat; the person has to press Start first, and the bot knows a
chat only once they did. Nothing is end-to-end encrypted (Telegram's bot chats
never are; the consent text says so). A staff member cannot be seated in a
participant's chat: the gateway relays instead.

Errors carry the call's name and Telegram's error class only: aiogram's own
messages name the chat, and the token travels in every request's path.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramRetryAfter,
)
from aiogram.types import LinkPreviewOptions, Message, Update

from bot import logs
from bot.errors import ParticipantUnreachable, SamtalError, TransportError
from bot.transports.port import Forgotten
from bot.transports.telegram.send_gate import SendGate
from bot.transports.telegram.sent_messages import SentMessages
from bot.transports.telegram.updates import (
    PREFIX,
    Arrival,
    StartCommand,
    address,
    convert,
    event_id_of,
    telegram_id,
)
from safety.vault import Vault

if TYPE_CHECKING:
    from bot.transports.port import Transport

NAME = "telegram"
# Telegram refuses more than 4096 characters; a margin for how it counts them.
MAX_TEXT = 4000
# Flood control answered this many times in a row means something is wrong.
MAX_ATTEMPTS = 5
# Idempotency keys of chats nobody owns yet (an answer to a stranger) live only
# in memory, and only this many.
UNOWNED_KEYS = 1000

T = TypeVar("T")


class TelegramCallError(TransportError):
    """Telegram refused a call, or it could not be made."""

    def __init__(self, call: str, status: str) -> None:
        super().__init__(f"telegram {call} failed: {status}", call, status)


class TelegramUnreachable(ParticipantUnreachable):
    """The person blocked the bot (or never started it): Telegram will not deliver."""

    def __init__(self, call: str) -> None:
        super().__init__(
            f"telegram {call}: the person has blocked the bot or never started it", call
        )


class ConversationNotStarted(SamtalError):
    """A bot cannot open a Telegram chat; the person must press Start first."""


class TelegramTransport:
    def __init__(
        self,
        bot: Bot,
        vault: Vault,
        owner_of: Callable[[str], str | None],
        *,
        clock: Callable[[], float] = time.time,
        gate: SendGate | None = None,
    ) -> None:
        """``owner_of`` maps a conversation to its participant's pseudonym, under
        which what the bot sent there is recorded (and shredded with them)."""
        self._bot = bot
        self._owner_of = owner_of
        self._sent = SentMessages(vault, clock)
        self._gate = gate or SendGate()
        # Chats whose person wrote to the bot while this process ran.
        self._started: set[str] = set()
        self._kept_started: set[str] = set()
        self._unowned_keys: dict[tuple[str, str], int] = {}
        # (preparing, sending) of the last notice, for the logs; nothing to prepare
        # without end-to-end keys.
        self.last_timing_ms: tuple[float, float] = (0.0, 0.0)

    # -- identity -----------------------------------------------------------------

    @property
    def name(self) -> str:
        return NAME

    @property
    def own_id(self) -> str:
        return address(self._bot.id)

    def owns(self, conversation: str) -> bool:
        return conversation.startswith(PREFIX)

    # -- arrivals -------------------------------------------------------------------

    def take(self, update: Update | Mapping[str, Any]) -> Arrival | None:
        """What an update means to the pipeline (see ``updates.convert``); a chat
        that wrote is one the bot may answer and may later open again."""
        arrival = convert(update, self.own_id)
        if arrival is not None:
            if isinstance(arrival, StartCommand):
                conversation = arrival.conversation
            else:
                conversation = str(arrival.room_id)
            self._started.add(conversation)
            self._keep_started(conversation)
            if not isinstance(arrival, StartCommand) and arrival.replaces is None:
                self._keep_incoming(conversation, arrival.event_id)
        return arrival

    def _keep_incoming(self, conversation: str, event_id: str) -> None:
        """A participant's own message can be deleted by the bot for 48 hours too;
        its id (never its text) is kept with theirs, for when they are forgotten."""
        owner = self._owner_of(conversation)
        chat = self._chat_id(conversation)
        number = None if chat is None else _message_number(event_id, chat)
        if owner is not None and number is not None:
            self._sent.record(owner, conversation, number, None)

    def _keep_started(self, conversation: str) -> None:
        """Seal the mark under the participant once they are one, so a restart
        still knows the chat; once per chat and process, not per message."""
        if conversation in self._kept_started:
            return
        owner = self._owner_of(conversation)
        if owner is not None:
            self._sent.mark_started(owner, conversation)
            self._kept_started.add(conversation)

    # -- Conversations ----------------------------------------------------------------

    def knows(self, conversation: str) -> bool:
        return self._chat_id(conversation) is not None

    def members(self, conversation: str) -> frozenset[str]:
        if self._chat_id(conversation) is None:
            return frozenset()
        return frozenset({self.own_id, conversation})

    def joined(self, conversation: str, person: str) -> bool:
        return self._chat_id(conversation) is not None and person == conversation

    def encrypted(self, conversation: str) -> bool:
        return False

    # -- Outbox -------------------------------------------------------------------------

    async def notice(
        self,
        conversation: str,
        text: str,
        key: str,
        expected: frozenset[str],
        *,
        mentions: tuple[str, ...] = (),
        page: bool = False,
    ) -> str:
        """Send plain text once; ``mentions`` mean nothing in a chat of two."""
        chat = self._require_chat(conversation, "send_message")
        if conversation not in expected:
            raise TelegramCallError("send_message", "unexpected_reader")
        owner = self._owner_of(conversation)
        earlier = self._earlier(owner, conversation, key)
        if earlier is not None:
            return event_id_of(chat, earlier)
        message_id = 0
        parts = text_parts(text)
        started = time.perf_counter()
        async with self._gate.turn(page=page):
            for index, part in enumerate(parts, 1):
                message = await self._call(
                    "send_message", partial(self._send, chat, part), page=page, owner=owner
                )
                message_id = message.message_id
                # Every part can be deleted; the key counts as sent only with the last.
                done = key if index == len(parts) else None
                self._remember(owner, conversation, message_id, done)
        self.last_timing_ms = (0.0, round((time.perf_counter() - started) * 1000, 1))
        return event_id_of(chat, message_id)

    def _send(self, chat: int, text: str) -> Awaitable[Message]:
        return self._bot.send_message(
            chat_id=chat,
            text=text,
            parse_mode=None,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
        )

    async def redact(self, conversation: str, message_id: str, reason: str) -> None:
        """Delete one of the bot's messages (Telegram keeps no trace, not even a
        reason; ``reason`` is not sent)."""
        chat = self._require_chat(conversation, "delete_message")
        number = _message_number(message_id, chat)
        if number is None:
            raise TelegramCallError("delete_message", "not_a_message_id")
        owner = self._owner_of(conversation)
        outcome = await self._delete(chat, number, owner)
        if outcome == "too_old":
            raise TelegramCallError("delete_message", "too_old")
        if owner is not None:
            self._sent.removed(owner, conversation, number)

    async def typing(self, conversation: str, active: bool) -> None:
        """Telegram shows typing for 5 s or until the next message; there is no
        way to stop it, so ``active=False`` does nothing. Typing is a courtesy: a
        refusal is logged and does not hold up the answer."""
        chat = self._require_chat(conversation, "send_chat_action")
        if not active:
            return
        try:
            await self._bot.send_chat_action(chat_id=chat, action="typing")
        except TelegramRetryAfter as exc:
            self._gate.hold("send_chat_action", exc.retry_after)
        except TelegramForbiddenError:
            owner = self._owner_of(conversation)
            logs.warning("telegram_blocked", call="send_chat_action", participant=owner)
        except TelegramAPIError as exc:
            raise TelegramCallError("send_chat_action", type(exc).__name__) from None

    # -- Transport ------------------------------------------------------------------------

    async def open_conversation(
        self,
        people: tuple[str, ...],
        *,
        name: str | None = None,
        topic: str | None = None,
        direct: bool = False,
    ) -> str:
        """The person's chat, once they have pressed Start; a bot cannot open one."""
        if len(people) != 1 or self._chat_id(people[0]) is None:
            raise ConversationNotStarted(
                "a Telegram bot talks with one person at a time, in the chat they started"
            )
        conversation = people[0]
        if conversation in self._started:
            # Started before the person was enrolled: now there is someone to keep it under.
            self._keep_started(conversation)
            return conversation
        owner = self._owner_of(conversation)
        if owner is not None and self._sent.started(owner, conversation):
            return conversation
        raise ConversationNotStarted(
            "the person has not started a chat with the bot yet: send them the bot's link"
        )

    async def bring_in(self, conversation: str, person: str) -> bool:
        return False

    async def forget_conversation(self, conversation: str) -> Forgotten:
        """Delete the messages of the chat Telegram still lets the bot delete (48 h:
        the bot's, and the participant's own) and count the rest as kept; then the
        record of them goes too."""
        chat = self._require_chat(conversation, "delete_message")
        owner = self._owner_of(conversation)
        self._started.discard(conversation)
        self._kept_started.discard(conversation)
        self._unowned_keys = {k: v for k, v in self._unowned_keys.items() if k[0] != conversation}
        if owner is None:
            return Forgotten(deleted=0, kept=0)
        log = self._sent.log(owner, conversation)
        deleted, kept = 0, log.expired
        for message_id, _sent_at in log.messages:
            outcome = await self._delete(chat, message_id, owner)
            if outcome in ("deleted", "gone"):
                deleted += 1
            else:
                kept += 1
        self._sent.drop(owner, conversation)
        logs.event("telegram_forgotten", participant=owner, deleted=deleted, kept=kept)
        return Forgotten(deleted=deleted, kept=kept)

    async def close(self) -> None:
        await self._bot.session.close()

    # -- internals ----------------------------------------------------------------------------

    def _chat_id(self, conversation: str) -> int | None:
        chat = telegram_id(conversation)
        # Private chats have the person's (positive) id; groups are not talked to.
        return chat if chat is not None and chat > 0 else None

    def _require_chat(self, conversation: str, call: str) -> int:
        chat = self._chat_id(conversation)
        if chat is None:
            raise TelegramCallError(call, "not_a_telegram_chat")
        return chat

    def _earlier(self, owner: str | None, conversation: str, key: str) -> int | None:
        if owner is None:
            return self._unowned_keys.get((conversation, key))
        return self._sent.sent_for(owner, conversation, key)

    def _remember(
        self, owner: str | None, conversation: str, message_id: int, key: str | None
    ) -> None:
        if owner is not None:
            self._sent.record(owner, conversation, message_id, key)
            return
        if key is None:
            return
        self._unowned_keys[(conversation, key)] = message_id
        while len(self._unowned_keys) > UNOWNED_KEYS:
            self._unowned_keys.pop(next(iter(self._unowned_keys)))

    async def _delete(self, chat: int, message_id: int, owner: str | None) -> str:
        """``deleted``, ``gone`` (not there any more) or ``too_old`` (past 48 h, or
        the person blocked the bot so nothing of the chat can be touched)."""
        try:
            await self._call(
                "delete_message",
                lambda: self._bot.delete_message(chat_id=chat, message_id=message_id),
                page=False,
                owner=owner,
            )
        except ParticipantUnreachable:
            return "too_old"
        except TelegramCallError as exc:
            if exc.status == "cannot_delete":
                return "too_old"
            if exc.status == "not_found":
                return "gone"
            raise
        return "deleted"

    async def _call(
        self,
        call: str,
        make: Callable[[], Awaitable[T]],
        *,
        page: bool,
        owner: str | None,
    ) -> T:
        for _attempt in range(MAX_ATTEMPTS):
            try:
                return await make()
            except TelegramRetryAfter as exc:
                self._gate.hold(call, exc.retry_after)
                await self._gate.before_retry(page=page)
            except TelegramForbiddenError:
                logs.warning("telegram_blocked", call=call, participant=owner)
                raise TelegramUnreachable(call) from None
            except TelegramBadRequest as exc:
                status = _bad_request(exc.message)
                logs.warning("telegram_call_failed", call=call, error=status)
                raise TelegramCallError(call, status) from None
            except TelegramAPIError as exc:
                error = type(exc).__name__
                logs.warning("telegram_call_failed", call=call, error=error)
                raise TelegramCallError(call, error) from None
        raise TelegramCallError(call, "rate_limited")


def _bad_request(description: str) -> str:
    """A short code for the Bad Requests the transport acts on (Telegram's words
    about the request, never its content)."""
    if "can't be deleted" in description:
        return "cannot_delete"
    if "not found" in description:
        return "not_found"
    return "bad_request"


def _message_number(message_id: str, chat: int) -> int | None:
    """The message's number in ``chat``, from ``telegram:<chat>:<n>`` or ``<n>``;
    None for an id from another chat (its number would name a different message)."""
    if message_id.isdigit():
        return int(message_id)
    where, _, last = message_id.rpartition(":")
    if where != address(chat) or not last.isdigit():
        return None
    return int(last)


def text_parts(text: str, limit: int = MAX_TEXT) -> list[str]:
    """The text in pieces Telegram accepts, cut at line ends where there are any."""
    parts: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit)
        if cut <= 0:
            cut = limit
        parts.append(rest[:cut])
        rest = rest[cut:].lstrip("\n")
    if rest or not parts:
        parts.append(rest)
    return parts


if TYPE_CHECKING:

    def _is_a_transport(transport: TelegramTransport) -> Transport:
        return transport
