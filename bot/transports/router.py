"""Several messengers as one: each call goes to the transport whose id it names.

A participant may be on Matrix or on Telegram; the pipeline does not ask which.
The router is itself a `Transport`, so the pipeline holds one object whatever the
deployment runs.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.errors import SamtalError
from bot.transports.port import Forgotten, Transport


class UnknownTransport(SamtalError):
    """An id no configured transport owns (say, a Telegram chat where Telegram is off)."""


class TransportRouter:
    def __init__(self, transports: Sequence[Transport]) -> None:
        if not transports:
            raise ValueError("a router needs at least one transport")
        self._transports = tuple(transports)
        # Where none is named (the bot's own id), the first transport speaks: the
        # one staff use.
        self._home = self._transports[0]
        # The last notice's timing, from whichever transport sent it.
        self._last: Transport = self._home

    def of(self, conversation: str) -> Transport:
        for transport in self._transports:
            if transport.owns(conversation):
                return transport
        raise UnknownTransport("no transport is configured for this conversation")

    @property
    def name(self) -> str:
        return "+".join(transport.name for transport in self._transports)

    @property
    def own_id(self) -> str:
        return self._home.own_id

    @property
    def last_timing_ms(self) -> tuple[float, float]:
        return self._last.last_timing_ms

    def owns(self, conversation: str) -> bool:
        return any(transport.owns(conversation) for transport in self._transports)

    def knows(self, conversation: str) -> bool:
        return self.owns(conversation) and self.of(conversation).knows(conversation)

    def members(self, conversation: str) -> frozenset[str]:
        return self.of(conversation).members(conversation)

    def joined(self, conversation: str, person: str) -> bool:
        return self.of(conversation).joined(conversation, person)

    def encrypted(self, conversation: str) -> bool:
        return self.of(conversation).encrypted(conversation)

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
        transport = self.of(conversation)
        sent = await transport.notice(
            conversation, text, key, expected, mentions=mentions, page=page
        )
        self._last = transport
        return sent

    async def redact(self, conversation: str, message_id: str, reason: str) -> None:
        await self.of(conversation).redact(conversation, message_id, reason)

    async def typing(self, conversation: str, active: bool) -> None:
        await self.of(conversation).typing(conversation, active)

    async def open_conversation(
        self,
        people: tuple[str, ...],
        *,
        name: str | None = None,
        topic: str | None = None,
        direct: bool = False,
    ) -> str:
        owner = self.of(people[0]) if people else self._home
        return await owner.open_conversation(people, name=name, topic=topic, direct=direct)

    async def bring_in(self, conversation: str, person: str) -> bool:
        return await self.of(conversation).bring_in(conversation, person)

    async def forget_conversation(self, conversation: str) -> Forgotten:
        return await self.of(conversation).forget_conversation(conversation)
