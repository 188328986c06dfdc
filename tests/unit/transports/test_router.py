"""The router sends each call to the transport that owns the id, and no other."""

from __future__ import annotations

import pytest

from bot.transports.port import Forgotten
from bot.transports.router import TransportRouter, UnknownTransport


class Recording:
    def __init__(self, name: str, prefix: str) -> None:
        self._name, self._prefix = name, prefix
        self.calls: list[tuple[str, str]] = []
        self.last_timing_ms = (0.0, 0.0)

    @property
    def name(self) -> str:
        return self._name

    @property
    def own_id(self) -> str:
        return f"{self._prefix}bot"

    def owns(self, conversation: str) -> bool:
        return conversation.startswith(self._prefix)

    def knows(self, conversation: str) -> bool:
        return True

    def members(self, conversation: str) -> frozenset[str]:
        return frozenset({self.own_id, conversation})

    def joined(self, conversation: str, person: str) -> bool:
        return True

    def encrypted(self, conversation: str) -> bool:
        return self._name == "matrix"

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
        self.calls.append(("notice", conversation))
        self.last_timing_ms = (1.0, 2.0) if self._name == "matrix" else (0.0, 9.0)
        return f"{self._name}-message"

    async def redact(self, conversation: str, message_id: str, reason: str) -> None:
        self.calls.append(("redact", conversation))

    async def typing(self, conversation: str, active: bool) -> None:
        self.calls.append(("typing", conversation))

    async def open_conversation(
        self,
        people: tuple[str, ...],
        *,
        name: str | None = None,
        topic: str | None = None,
        direct: bool = False,
    ) -> str:
        self.calls.append(("open", people[0]))
        return f"{self._prefix}room"

    async def bring_in(self, conversation: str, person: str) -> bool:
        self.calls.append(("bring_in", conversation))
        return self._name == "matrix"

    async def forget_conversation(self, conversation: str) -> Forgotten:
        self.calls.append(("forget", conversation))
        return Forgotten(deleted=1, kept=0)


async def test_each_call_goes_to_the_transport_that_owns_the_id() -> None:
    matrix, telegram = Recording("matrix", "!"), Recording("telegram", "telegram:")
    router = TransportRouter([matrix, telegram])
    assert await router.notice("telegram:42", "hi", "k", frozenset({"telegram:42"})) == (
        "telegram-message"
    )
    assert router.last_timing_ms == (0.0, 9.0)
    assert await router.notice("!room:x", "hi", "k", frozenset()) == "matrix-message"
    assert router.last_timing_ms == (1.0, 2.0)
    await router.typing("telegram:42", True)
    await router.redact("!room:x", "$e", "why")
    assert await router.bring_in("telegram:42", "@m:x") is False
    assert await router.bring_in("!room:x", "@m:x") is True
    assert await router.open_conversation(("telegram:42",), direct=True) == "telegram:room"
    await router.forget_conversation("telegram:42")
    assert matrix.calls == [("notice", "!room:x"), ("redact", "!room:x"), ("bring_in", "!room:x")]
    assert telegram.calls == [
        ("notice", "telegram:42"),
        ("typing", "telegram:42"),
        ("bring_in", "telegram:42"),
        ("open", "telegram:42"),
        ("forget", "telegram:42"),
    ]
    assert router.encrypted("!room:x") and not router.encrypted("telegram:42")


async def test_an_id_no_transport_owns_is_refused_and_not_sent_anywhere() -> None:
    matrix = Recording("matrix", "!")
    router = TransportRouter([matrix])
    with pytest.raises(UnknownTransport):
        await router.notice("telegram:42", "hi", "k", frozenset({"telegram:42"}))
    assert not router.knows("telegram:42")
    assert matrix.calls == []
