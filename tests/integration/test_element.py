"""Participants and mediators on Element's own SDK (matrix-js-sdk, Rust crypto).

Element runs in "exclude insecure devices" mode (MSC4153): it shares room keys only
with devices their owner has cross-signed, and decrypts only messages from such
devices. These tests hold the bot to that.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.conftest import RunningStack
from tests.integration.test_conversation import QUESTIONS, REST_OF_CHECKIN
from tests.support.element import ElementClient, ElementError, ElementUsers

pytestmark = pytest.mark.integration


async def participant(
    stack: RunningStack, element: ElementUsers, mediator: str | None = None
) -> tuple[ElementClient, str]:
    """An enrolled Swedish participant on Element, cross-signed as Element sets itself up,
    with a direct chat the bot has joined."""
    matrix_id, password = await stack.register("element")
    await stack.stack.enroll(matrix_id, "sv", mediator)
    client = await element.open(matrix_id, password)
    assert await client.bootstrap_cross_signing()
    room = await client.create_dm(stack.bot_user_id)
    return client, room


@contextlib.asynccontextmanager
async def explained(stack: RunningStack) -> AsyncIterator[None]:
    """When Element waits in vain, say whether the bot failed to decrypt what it was sent."""
    offset = stack.gateway_log.stat().st_size
    try:
        yield
    except ElementError as error:
        undecryptable = len(stack.gateway_events("message_undecryptable", offset))
        raise AssertionError(
            f"{error}; the bot could not decrypt {undecryptable} message(s) meanwhile "
            "(in 'exclude insecure devices' mode, Element shares room keys only with "
            "devices their owner cross-signed)"
        ) from error


async def say(
    stack: RunningStack, client: ElementClient, room: str, text: str, quiet: float = 2.0
) -> str:
    """Send ``text``; return everything the bot answered, joined."""
    mark = await client.mark()
    async with explained(stack):
        await client.send_text(room, text)
        answered = await client.wait_messages(
            room, mark, sender=stack.bot_user_id, timeout=30, quiet=quiet
        )
    assert not answered.undecryptable, answered.undecryptable
    return answered.text


async def test_element_participant_consents_and_checks_in(
    running_stack: RunningStack, element: ElementUsers
) -> None:
    client, room = await participant(running_stack, element)
    first = await say(running_stack, client, room, "hej")
    assert "Hej!" in first
    assert QUESTIONS["sv"][0] not in first
    assert QUESTIONS["sv"][0] in await say(running_stack, client, room, "ja")
    assert QUESTIONS["sv"][1] in (await say(running_stack, client, room, "3")).lower()
    assert QUESTIONS["sv"][2] in (await say(running_stack, client, room, "ok")).lower()
    offset = running_stack.gateway_log.stat().st_size
    for answer in REST_OF_CHECKIN["sv"]:
        await say(running_stack, client, room, answer)
    # The finished check-in closes its Rasa session.
    assert running_stack.gateway_events("rasa_session_started", offset)


async def test_element_sees_the_bot_device_signed_by_its_owner(
    running_stack: RunningStack, element: ElementUsers
) -> None:
    bot = running_stack.bot_user_id
    client, room = await participant(running_stack, element)
    devices = await client.device_status(bot)
    assert devices, "Element knows none of the bot's devices"
    unsigned = [device for device, status in devices.items() if not status["signed_by_owner"]]
    assert not unsigned, f"bot devices not cross-signed by the bot: {unsigned}"
    # And so no red shield ("Encrypted by a device not verified by its owner").
    mark = await client.mark()
    await client.send_text(room, "hej")
    answered = await client.wait_messages(room, mark, sender=bot, timeout=30)
    assert all(m.shield != "RED" for m in answered.messages), answered.messages


async def test_driver_answers_bad_commands_and_never_outlives_close(tmp_path: Path) -> None:
    client = await ElementClient.launch(tmp_path / "driver.log")
    try:
        with pytest.raises(ElementError) as unknown:
            await client.call("no_such_command")
        assert unknown.value.name == "UnknownCommand"
        with pytest.raises(ElementError) as missing:
            await client.call("send_text", room_id="!r:localhost")
        assert missing.value.name == "BadCommand"
        with pytest.raises(ElementError) as early:
            await client.send_text("!r:localhost", "hej")
        assert early.value.name == "NotLoggedIn"
        assert await client.mark() == 0  # still answering after every error
    finally:
        await client.close()
    assert client.returncode is not None
