"""What the pipeline needs from a messenger, and nothing more.

The turn pipeline, escalation, check-ins, deletion, handoff and the desks speak
to these protocols only; each messenger implements them in its own folder
(`bot/transports/matrix/`, `bot/transports/telegram/`), and only there is a
messenger library imported.

Ids carry their transport, so one string says where a conversation lives:
- a conversation is a Matrix room id (``!room:server``) or ``telegram:<chat id>``;
- a person is a Matrix user id (``@name:server``) or ``telegram:<user id>``.
They are identifiers, never shown to Rasa, logs or mediators (those see
pseudonyms), and kept only inside the vault's sealed records.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.core.device_trust import Confirmation, Origin


@dataclass(frozen=True)
class Forgotten:
    """What deleting the bot's side of a conversation achieved."""

    deleted: int  # the bot's messages removed
    kept: int  # the bot's messages the messenger would not let it remove (too old)
    room_keys: int = 0  # end-to-end keys for the conversation dropped from the bot's store


class Outbox(Protocol):
    """Sending into conversations."""

    @property
    def last_timing_ms(self) -> tuple[float, float]:
        """(preparing, sending) of the last notice in milliseconds, for the logs: with
        end-to-end encryption, preparing is waiting for keys and sessions."""
        ...

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
        """Send plain text once and return the message's id.

        ``key`` is an idempotency key: sending again with the same key after a crash
        must not reach the reader twice where the messenger can prevent it.
        ``expected`` is everyone who may read it: a conversation holding anyone else
        gets nothing. A ``page`` goes before everything else while the messenger
        holds the bot back.
        """
        ...

    async def redact(self, conversation: str, message_id: str, reason: str) -> None:
        """Remove one of the bot's own messages."""
        ...

    async def typing(self, conversation: str, active: bool) -> None:
        """Show, or stop showing, that an answer is being written."""
        ...


class Conversations(Protocol):
    """What the bot knows about the conversations it is in."""

    @property
    def own_id(self) -> str:
        """The bot's own address on this messenger."""
        ...

    def knows(self, conversation: str) -> bool:
        """Whether the bot is in the conversation and has its state."""
        ...

    def members(self, conversation: str) -> frozenset[str]:
        """Everyone joined or invited; empty when the conversation is unknown."""
        ...

    def joined(self, conversation: str, person: str) -> bool:
        """Whether ``person`` has joined (not merely been invited)."""
        ...

    def encrypted(self, conversation: str) -> bool:
        """Whether messages in it are end-to-end encrypted."""
        ...


class Transport(Outbox, Conversations, Protocol):
    """One messenger."""

    @property
    def name(self) -> str:
        """Short and stable: ``matrix``, ``telegram``; also the prefix of its ids
        where ids need one."""
        ...

    def owns(self, conversation: str) -> bool:
        """Whether a conversation (or person) id belongs to this messenger."""
        ...

    async def open_conversation(
        self,
        people: tuple[str, ...],
        *,
        name: str | None = None,
        topic: str | None = None,
        direct: bool = False,
    ) -> str:
        """Start a conversation with these people and return its id. ``direct`` marks a
        one-to-one chat, which clients list apart from group rooms."""
        ...

    async def bring_in(self, conversation: str, person: str) -> bool:
        """Let a staff member into a participant's conversation (handoff). False when
        the messenger cannot seat them there (a Telegram chat with a bot has room for
        two), and the gateway relays between their desk and the chat instead."""
        ...

    async def forget_conversation(self, conversation: str) -> Forgotten:
        """Delete what the bot said there, as far as the messenger allows, and leave."""
        ...


class DeviceVouching(Protocol):
    """Which of a person's devices the bot trusts, for messengers with devices and
    end-to-end keys (Matrix). Staff commands count only from trusted devices."""

    async def origin(self, person: str, device_key: str | None) -> Origin:
        """Where a message came from, as far as the bot trusts it."""
        ...

    async def vouches_for_account(self, person: str) -> bool:
        """Whether the person's own cross-signing vouches for their account."""
        ...

    def confirm(self, code: str, by: str) -> Confirmation:
        """A staff member confirms a withheld device by its code."""
        ...
