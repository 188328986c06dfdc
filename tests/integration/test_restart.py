"""Exactly-once answers across a gateway restart."""

from __future__ import annotations

import asyncio

import pytest

from tests.conftest import RunningStack

pytestmark = pytest.mark.integration


async def wait_for_events(
    stack: RunningStack, kind: str, count: int, offset: int, timeout: float
) -> list[dict[str, object]]:
    async with asyncio.timeout(timeout):
        while len(found := stack.gateway_events(kind, offset)) < count:
            await asyncio.sleep(0.2)
    return found


async def test_messages_sent_while_down_are_answered_once(running_stack: RunningStack) -> None:
    client = await running_stack.new_client("restart", enroll_language="sv")
    try:
        room = await client.open_chat(running_stack.bot_user_id)
        offset = running_stack.gateway_log.stat().st_size
        await client.send(room, "hej")
        await wait_for_events(running_stack, "turn_answered", 1, offset, 30)
        await client.quiet_for(room, 2)

        await running_stack.stack.stop_gateway()
        offset = running_stack.gateway_log.stat().st_size
        await client.send(room, "nej tack")
        await client.send(room, "hej igen")
        await running_stack.stack.start_gateway()

        answered = await wait_for_events(running_stack, "turn_answered", 2, offset, 60)
        heard = await client.quiet_for(room, 5)
        # Exactly the two new turns: the first "hej" is not answered again.
        assert len(running_stack.gateway_events("turn_answered", offset)) == 2
        # An answer's replies go as one message unless they pass the transport's limit.
        expected_messages = sum(int(str(event["messages"])) for event in answered)
        assert expected_messages >= 2
        assert len(heard) == expected_messages
    finally:
        await client.stop()
