"""Pages first: replies wait for waiting pages, and only a few are in flight."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from bot.core.replies import MAX_REPLY_CHARS
from bot.transports.traffic import Traffic, send_after_pages


async def test_a_reply_waits_while_a_page_is_waiting() -> None:
    traffic = Traffic(replies_in_flight=2, page_wait_s=5.0)
    traffic.page_waiting()
    order: list[str] = []

    async def reply() -> None:
        async with traffic.reply_slot():
            order.append("reply")

    task = asyncio.create_task(reply())
    await asyncio.sleep(0.05)
    assert order == []
    order.append("page")
    traffic.pages_sent()
    await task
    assert order == ["page", "reply"]


async def test_no_more_than_the_allowed_replies_are_in_flight() -> None:
    traffic = Traffic(replies_in_flight=2)
    in_flight = 0
    most = 0

    async def reply() -> None:
        nonlocal in_flight, most
        async with traffic.reply_slot():
            in_flight += 1
            most = max(most, in_flight)
            await asyncio.sleep(0.01)
            in_flight -= 1

    await asyncio.gather(*(reply() for _ in range(7)))
    assert most == 2


async def test_a_page_raised_while_a_reply_queues_for_its_slot_still_goes_first() -> None:
    traffic = Traffic(replies_in_flight=1, page_wait_s=5.0)
    order: list[str] = []
    release_first = asyncio.Event()

    async def first() -> None:
        async with traffic.reply_slot():
            await release_first.wait()
            order.append("first reply")

    async def second() -> None:
        async with traffic.reply_slot():
            order.append("second reply")

    tasks = [asyncio.create_task(first()), asyncio.create_task(second())]
    await asyncio.sleep(0.02)
    traffic.page_waiting()
    release_first.set()
    await asyncio.sleep(0.05)
    assert order == ["first reply"]
    order.append("page")
    traffic.pages_sent()
    await asyncio.gather(*tasks)
    assert order == ["first reply", "page", "second reply"]


async def test_a_stuck_page_holds_replies_back_once_not_on_every_reply() -> None:
    traffic = Traffic(page_wait_s=0.2)
    traffic.page_waiting()
    assert traffic.pages_waiting
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await traffic.pages_first() is False
    waited_first = loop.time() - started
    started = loop.time()
    for _ in range(5):
        async with traffic.reply_slot():
            pass
    waited_after = loop.time() - started
    assert waited_first >= 0.2
    assert waited_after < 0.2  # five replies did not wait five times more
    # A new page is waited for again.
    traffic.page_waiting()
    started = loop.time()
    assert await traffic.pages_first() is False
    assert loop.time() - started >= 0.2
    traffic.pages_sent()
    assert await traffic.pages_first() is True


class RecordingSender:
    """Stands in for the Matrix sender: records what would be sent, in order."""

    def __init__(self, while_sending: dict[str, Callable[[], None]] | None = None) -> None:
        self.sent: list[str] = []
        self._while_sending = while_sending or {}

    async def notice(self, room_id: str, text: str, txn_id: str, expected: frozenset[str]) -> str:
        self._while_sending.get(text, lambda: None)()
        await asyncio.sleep(0.01)  # a send takes a moment, as over the network
        self.sent.append(text)
        return f"$e{len(self.sent)}"


def _long(name: str) -> str:
    """A reply too long to share a message with another (over half the limit)."""
    return name + "." * (MAX_REPLY_CHARS // 2 + 10)


async def test_an_answer_too_long_for_one_message_arrives_whole_not_interleaved() -> None:
    traffic = Traffic(replies_in_flight=1)
    sender = RecordingSender()
    answers = [tuple(_long(f"A{i}") for i in range(3)), tuple(_long(f"B{i}") for i in range(3))]
    await asyncio.gather(
        *(
            send_after_pages(sender, traffic, "!r", texts, f"t{n}", frozenset())  # type: ignore[arg-type]
            for n, texts in enumerate(answers)
        )
    )
    assert [text[:2] for text in sender.sent] == ["A0", "A1", "A2", "B0", "B1", "B2"]


async def test_a_page_raised_mid_answer_goes_before_the_rest_of_it() -> None:
    traffic = Traffic(replies_in_flight=1, page_wait_s=5.0)
    first, second = _long("A0"), _long("A1")
    sender = RecordingSender(while_sending={first: traffic.page_waiting})  # a page comes up
    answer = asyncio.create_task(
        send_after_pages(sender, traffic, "!r", (first, second), "t", frozenset())  # type: ignore[arg-type]
    )
    await asyncio.sleep(0.05)
    assert sender.sent == [first]  # the rest waits for the page
    sender.sent.append("PAGE")
    traffic.pages_sent()
    await answer
    assert sender.sent == [first, "PAGE", second]
