"""The running gateway serves /healthz and /metrics on loopback, content-free."""

from __future__ import annotations

import asyncio
import json
import re

import aiohttp
import pytest

from bot.launcher.stack import DEMO_MEDIATOR, user_id
from tests.conftest import RunningStack

pytestmark = pytest.mark.integration

MESSAGE = "hej, jag vill prata om veckan som gick"
SAMPLE = re.compile(r"^([a-z_]+(?:\{[^}]*\})?) (\S+)$")


def samples(text: str) -> dict[str, float]:
    found = {}
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        match = SAMPLE.match(line)
        assert match is not None, line
        found[match.group(1)] = float(match.group(2).replace("Inf", "inf"))
    return found


async def get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.text()


async def test_health_and_metrics_are_served_without_anyone_in_them(
    running_stack: RunningStack,
) -> None:
    stack = running_stack.stack
    stack.write_stack_json()
    written = json.loads(stack.layout.stack_json.read_text())
    assert written["health_url"] == f"{stack.monitoring_url}/healthz"
    # Each demo staff member is told where their desk is.
    desks = [
        written["accounts"][role]["desk_room_id"] for role in ("mediator", "on_call", "supervisor")
    ]
    assert all(str(desk).startswith("!") for desk in desks) and len(set(desks)) == 3
    metrics_url = written["metrics_url"]

    async with asyncio.timeout(30):
        while (status := await get(written["health_url"]))[0] != 200:
            await asyncio.sleep(0.5)
    health = json.loads(status[1])
    assert health["status"] == "ok"
    assert health["reasons"] == []

    _, before_text = await get(metrics_url)
    before = samples(before_text)

    client = await running_stack.new_client(
        "metrics", enroll_language="sv", mediator=user_id(DEMO_MEDIATOR)
    )
    try:
        room = await client.open_chat(running_stack.bot_user_id)
        await client.send(room, MESSAGE)
        await client.replies(room, 1, timeout=60)
        answered = "samtal_turns_answered_total"
        async with asyncio.timeout(30):
            while True:
                status_code, text = await get(metrics_url)
                after = samples(text)
                if after[answered] > before[answered]:
                    break
                await asyncio.sleep(0.5)
    finally:
        await client.stop()

    assert status_code == 200
    screened = 'samtal_messages_screened_total{risk="none"}'
    assert after[screened] >= before[screened] + 1
    assert after["samtal_last_sync_age_seconds"] < 60
    assert after["samtal_rasa_up"] == 1
    assert after["samtal_rooms"] >= 2  # the staff room and this chat
    assert after['samtal_turn_seconds_bucket{le="+Inf"}'] >= 1
    for gauge in ("samtal_turns_pending", "samtal_escalations_open"):
        assert gauge in after

    matrix_id = str(client.client.user_id)
    pseudonym = running_stack.pseudonym_of(matrix_id)
    _, health_text = await get(written["health_url"])
    for output in (text, health_text):
        for secret in (matrix_id, matrix_id.split(":")[0], pseudonym, room, MESSAGE, "@", "!"):
            assert secret not in output
