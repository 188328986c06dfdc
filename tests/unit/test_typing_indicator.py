"""Typing shows only for slow answers, never while a page waits, and never breaks a turn."""

from __future__ import annotations

import asyncio

import pytest

from bot.errors import MatrixCallError
from bot.transports.traffic import Traffic
from bot.transports.typing_indicator import typing_while_slow


class RecordingSender:
    def __init__(self, fail: bool = False) -> None:
        self.calls: list[tuple[str, bool]] = []
        self.fail = fail

    async def typing(self, room_id: str, active: bool) -> None:
        self.calls.append((room_id, active))
        if self.fail:
            raise MatrixCallError("room_typing", "M_UNKNOWN", "homeserver said no")


async def test_a_quick_answer_shows_no_typing() -> None:
    sender = RecordingSender()
    async with typing_while_slow(sender, Traffic(), "!room", after_s=0.2):  # type: ignore[arg-type]
        await asyncio.sleep(0.01)
    assert sender.calls == []


async def test_a_slow_answer_shows_typing_and_clears_it() -> None:
    sender = RecordingSender()
    async with typing_while_slow(sender, Traffic(), "!room", after_s=0.01):  # type: ignore[arg-type]
        await asyncio.sleep(0.1)
    assert sender.calls == [("!room", True), ("!room", False)]


async def test_no_typing_while_a_page_is_waiting() -> None:
    sender = RecordingSender()
    traffic = Traffic()
    traffic.page_waiting()
    async with typing_while_slow(sender, traffic, "!room", after_s=0.01):  # type: ignore[arg-type]
        await asyncio.sleep(0.1)
    assert sender.calls == []


async def test_a_failing_typing_call_does_not_fail_the_turn() -> None:
    sender = RecordingSender(fail=True)
    async with typing_while_slow(sender, Traffic(), "!room", after_s=0.01):  # type: ignore[arg-type]
        await asyncio.sleep(0.1)
    # Typing never showed, so there is nothing to clear.
    assert sender.calls == [("!room", True)]


async def test_an_error_in_the_turn_still_clears_typing() -> None:
    sender = RecordingSender()
    with pytest.raises(RuntimeError):
        async with typing_while_slow(sender, Traffic(), "!room", after_s=0.01):  # type: ignore[arg-type]
            await asyncio.sleep(0.1)
            raise RuntimeError("dialogue failed")
    assert sender.calls == [("!room", True), ("!room", False)]
