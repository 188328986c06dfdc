"""Rasa's webhook and the action server answer only the gateway, and Rasa's log
never holds a message, not even when a turn is cut off half-way."""

from __future__ import annotations

import asyncio
import secrets

import aiohttp
import pytest

from tests.conftest import RunningStack
from tests.support.leaks import leak_forms

pytestmark = pytest.mark.integration

WEBHOOK = "/webhooks/rest/webhook"
# How Rasa's own channel and samtal's report a turn whose client hung up.
CANCEL_MARKERS = (b"rest.message.received.timeout", b"samtal.rest.turn_cancelled")


async def post(url: str, body: dict[str, object], **params: str) -> tuple[int, object]:
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as http,
        http.post(url, json=body, params=params) as response,
    ):
        return response.status, await response.json(content_type=None)


async def test_the_webhook_refuses_anyone_without_the_token(running_stack: RunningStack) -> None:
    url = running_stack.stack.rasa_url + WEBHOOK
    body = {"sender": f"made-up-{secrets.token_hex(4)}", "message": "/affirm"}
    assert (await post(url, body))[0] == 401
    assert (await post(url, body, token="not-the-token"))[0] == 401
    token = running_stack.stack.layout.read_secret("rasa.token")
    status, answer = await post(url, {"sender": body["sender"], "message": "hej"}, token=token)
    assert status == 200 and isinstance(answer, list)


async def test_the_action_server_refuses_anyone_without_its_token(
    running_stack: RunningStack,
) -> None:
    base = f"http://127.0.0.1:{running_stack.stack.ports['actions']}"
    request = {"next_action": "action_session_start", "sender_id": "x", "tracker": {}}
    assert (await post(base + "/webhook", request))[0] == 401
    assert (await post(base + "/webhook", request, token="not-the-token"))[0] == 401
    # Rasa's own token does not open the action server either: each has its own.
    rasa_token = running_stack.stack.layout.read_secret("rasa.token")
    assert (await post(base + "/webhook", request, token=rasa_token))[0] == 401
    async with aiohttp.ClientSession() as http, http.get(base + "/health") as response:
        assert response.status == 200  # the launcher's readiness probe needs no token


async def test_a_turn_cut_off_mid_way_leaves_no_text_in_rasas_log(
    running_stack: RunningStack,
) -> None:
    canary = f"kanariefågel jag ska döda henne ikväll {secrets.token_hex(3)}"
    url = running_stack.stack.rasa_url + WEBHOOK
    token = running_stack.stack.layout.read_secret("rasa.token")
    log = running_stack.stack.layout.logs / "rasa.log"
    offset = log.stat().st_size
    cancelled = False
    # The client hangs up while Rasa works on the turn, as a gateway does when its
    # Rasa timeout fires or it stops mid-turn. Rasa's turn takes longer than the
    # shortest waits; try until Rasa reports a cancelled turn. On a busy machine a
    # short wait may end before Rasa has even begun the turn, so the waits go on
    # growing, finely where Rasa's turns fall, and the round is tried three times.
    for wait in (0.02, 0.03, 0.05, 0.07, 0.1, 0.15, 0.2, 0.3, 0.4, 0.6, 0.8, 1.5) * 3:
        sender = f"cut-{secrets.token_hex(4)}"
        timeout = aiohttp.ClientTimeout(total=wait)
        try:
            async with (
                aiohttp.ClientSession(timeout=timeout) as http,
                http.post(
                    url, json={"sender": sender, "message": canary}, params={"token": token}
                ) as response,
            ):
                await response.read()
        except asyncio.TimeoutError:
            pass
        await asyncio.sleep(1.0)
        if any(marker in log.read_bytes()[offset:] for marker in CANCEL_MARKERS):
            cancelled = True
            break
    assert cancelled, "no turn was cut off; the test did not exercise the cancel path"
    written = log.read_bytes()
    leaks = [form for form in leak_forms(canary) if form.encode() in written]
    assert leaks == []


async def test_a_message_sent_again_is_answered_as_before_and_not_run_twice(
    running_stack: RunningStack,
) -> None:
    """A gateway that crashed after Rasa answered sends the message again: the check-in
    form must not move on twice."""
    url = running_stack.stack.rasa_url + WEBHOOK
    token = running_stack.stack.layout.read_secret("rasa.token")
    sender = f"replay-{secrets.token_hex(4)}"
    metadata = {"language": "sv"}

    async def turn(text: str, message_id: str) -> object:
        body = {"sender": sender, "message": text, "metadata": metadata, "message_id": message_id}
        status, answer = await post(url, body, token=token)
        assert status == 200
        return answer

    await turn("hej", "$m1")
    first = await turn("ja", "$m2")
    again = await turn("ja", "$m2")
    assert again == first and first
    tracker_url = f"{running_stack.stack.rasa_url}/conversations/{sender}/tracker"
    async with (
        aiohttp.ClientSession() as http,
        http.get(tracker_url, params={"token": token}) as response,
    ):
        events = (await response.json())["events"]
    said = [e.get("message_id") for e in events if e.get("event") == "user"]
    assert said.count("$m2") == 1
