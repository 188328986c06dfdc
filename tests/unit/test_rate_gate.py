"""Pages go first through a rate limit, the homeserver's wait is honoured, and a held page
is always reported."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import time
from collections.abc import Iterator

import pytest

from bot import logs
from bot.core.rate_gate import DEFAULT_RETRY_MS, RECHECK_S, RateGate
from bot.transports.matrix.rate_limits import SendGate


def test_an_open_gate_lets_everything_through() -> None:
    gate = RateGate()
    assert gate.delay(gate.ask(page=False, now=10.0), 10.0) == 0.0
    assert gate.delay(gate.ask(page=True, now=10.0), 10.0) == 0.0


def test_a_hold_closes_the_gate_for_the_homeservers_wait() -> None:
    gate = RateGate()
    assert gate.hold(100.0, 1500) == 1500
    reply = gate.ask(page=False, now=100.5)
    assert gate.delay(reply, 100.5) == pytest.approx(1.0)
    assert gate.delay(reply, 101.5) == 0.0


def test_a_hold_without_retry_after_waits_the_default() -> None:
    gate = RateGate()
    assert gate.hold(0.0, None) == DEFAULT_RETRY_MS
    assert gate.hold(0.0, 0) == DEFAULT_RETRY_MS
    assert gate.blocked_until == DEFAULT_RETRY_MS / 1000


def test_a_shorter_hold_never_shortens_a_longer_one() -> None:
    gate = RateGate()
    gate.hold(0.0, 4000)
    gate.hold(1.0, 500)
    assert gate.blocked_until == 4.0


def test_without_a_limit_replies_do_not_wait_for_pages() -> None:
    gate = RateGate()
    page = gate.ask(page=True, now=0.0)
    reply = gate.ask(page=False, now=0.0)
    assert gate.delay(page, 0.0) == 0.0
    assert gate.delay(reply, 0.0) == 0.0


def test_a_reply_that_met_a_limit_waits_while_a_page_is_pending() -> None:
    gate = RateGate()
    page = gate.ask(page=True, now=0.0)
    reply = gate.ask(page=False, now=0.0)
    gate.hold(0.0, 100)  # refused in flight; nio retries it after 100 ms
    assert gate.delay(page, 0.2) == 0.0
    assert gate.delay(reply, 0.2) == RECHECK_S
    gate.done(page)
    assert gate.delay(reply, 0.2) == 0.0


def test_after_a_hold_the_page_goes_when_it_ends_and_the_reply_after_it() -> None:
    gate = RateGate()
    gate.hold(0.0, 2000)
    reply = gate.ask(page=False, now=0.1)
    page = gate.ask(page=True, now=0.2)
    assert gate.delay(page, 2.0) == 0.0
    assert gate.delay(reply, 2.0) > 0
    gate.done(page)
    assert gate.delay(reply, 2.0) == 0.0


def test_a_refused_send_waits_for_the_homeserver_and_a_reply_for_pages() -> None:
    gate = RateGate()
    gate.hold(0.0, 1000)
    assert gate.retry_delay(page=False, now=0.4) == pytest.approx(0.6)
    assert gate.retry_delay(page=True, now=0.4) == pytest.approx(0.6)
    page = gate.ask(page=True, now=0.5)
    assert gate.retry_delay(page=False, now=1.0) == RECHECK_S
    assert gate.retry_delay(page=True, now=1.0) == 0.0
    gate.done(page)
    assert gate.retry_delay(page=False, now=1.0) == 0.0


def test_a_page_that_met_no_limit_is_not_reported() -> None:
    gate = RateGate()
    page = gate.ask(page=True, now=0.0)
    assert gate.page_wait_ms(page, 0.3) is None


def test_a_page_that_found_the_gate_closed_reports_its_wait() -> None:
    gate = RateGate()
    gate.hold(0.0, 1000)
    page = gate.ask(page=True, now=0.25)
    assert gate.page_wait_ms(page, 1.5) == 1250.0


def test_a_page_refused_in_flight_reports_its_wait() -> None:
    gate = RateGate()
    page = gate.ask(page=True, now=0.0)
    gate.hold(0.1, 800)  # nio waits this out and retries the page itself
    assert gate.page_wait_ms(page, 0.95) == 950.0


def test_replies_are_never_reported_as_waiting_pages() -> None:
    gate = RateGate()
    gate.hold(0.0, 1000)
    reply = gate.ask(page=False, now=0.0)
    assert gate.page_wait_ms(reply, 2.0) is None


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    logs.configure(stream)
    yield stream
    logging.getLogger().handlers.clear()


def _events(stream: io.StringIO, kind: str) -> list[dict[str, object]]:
    records = [json.loads(line) for line in stream.getvalue().splitlines()]
    return [record for record in records if record["event"] == kind]


async def test_the_send_gate_lets_a_page_overtake_a_waiting_reply(
    log_lines: io.StringIO,
) -> None:
    gate = SendGate()
    order: list[str] = []
    gate.hold("room_send", 300)

    async def send(kind: str, page: bool) -> None:
        async with gate.turn(page=page):
            order.append(kind)
            await asyncio.sleep(0.05)  # in flight: replies must not start meanwhile
            order.append(kind + " sent")

    began = time.monotonic()
    reply = asyncio.create_task(send("reply", page=False))
    await asyncio.sleep(0.1)
    page = asyncio.create_task(send("page", page=True))
    await asyncio.gather(reply, page)
    assert order == ["page", "page sent", "reply", "reply sent"]
    assert time.monotonic() - began >= 0.3  # the homeserver's wait was honoured
    (limited,) = _events(log_lines, "rate_limited")
    assert limited["call"] == "room_send" and limited["retry_after_ms"] == 300
    assert limited["level"] == "warning"
    (waited,) = _events(log_lines, "page_waited")
    assert isinstance(waited["wait_ms"], float) and 150 <= waited["wait_ms"] < 3000
    assert waited["level"] == "warning"


async def test_an_unhindered_page_leaves_no_warning(log_lines: io.StringIO) -> None:
    gate = SendGate()
    async with gate.turn(page=True):
        pass
    assert _events(log_lines, "page_waited") == []
    assert _events(log_lines, "rate_limited") == []


async def test_a_reply_refused_in_flight_retries_after_the_page(log_lines: io.StringIO) -> None:
    gate = SendGate()
    order: list[str] = []
    refused = asyncio.Event()

    async def reply() -> None:
        async with gate.turn(page=False):
            # What nio's callback does when this send is refused: hold, then yield.
            gate.hold("room_send", 100)
            refused.set()
            await gate.before_retry()
            order.append("reply retried")

    async def page() -> None:
        await refused.wait()
        async with gate.turn(page=True):
            await asyncio.sleep(0.2)  # the page is slow on its way; the reply still waits
            order.append("page sent")

    await asyncio.gather(reply(), page())
    assert order == ["page sent", "reply retried"]
    assert len(_events(log_lines, "page_waited")) == 1
