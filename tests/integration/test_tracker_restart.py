"""A Rasa restart in the middle of a check-in: the conversation goes on where it was."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from bot.config import load_config
from bot.state.participants import ParticipantRegistry
from safety.vault import Vault, load_or_create_key_file
from tests.conftest import RunningStack
from tests.integration.test_conversation import QUESTIONS, say

pytestmark = pytest.mark.integration


def pseudonym_of(running_stack: RunningStack, matrix_id: str) -> str:
    home = running_stack.stack.layout.home
    config = load_config(home / "samtal.yaml", home)
    vault = Vault(config.vault_path, load_or_create_key_file(config.kek_file, create=False))
    try:
        return ParticipantRegistry(vault).pseudonym_of(matrix_id)
    finally:
        vault.close()


async def rasa_state(running_stack: RunningStack, sender: str) -> dict[str, Any]:
    """What Rasa loads for ``sender``: events, slots and the active form."""
    stack = running_stack.stack
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{stack.rasa_url}/conversations/{sender}/predict",
            params={"token": stack.layout.read_secret("rasa.token")},
        ) as response,
    ):
        assert response.status == 200
        payload: dict[str, Any] = await response.json()
    tracker: dict[str, Any] = payload["tracker"]
    return {key: tracker[key] for key in ("events", "slots", "active_loop")}


async def test_rasa_restart_mid_checkin_continues_the_checkin(
    running_stack: RunningStack,
) -> None:
    first, second, third = QUESTIONS["sv"]
    client = await running_stack.new_client("trackrestart", enroll_language="sv")
    try:
        room = await client.open_chat(running_stack.bot_user_id)
        await say(client, room, "hej")
        assert first in await say(client, room, "ja")
        assert second in (await say(client, room, "3")).lower()
        sender = pseudonym_of(running_stack, client.client.user_id)
        before = await rasa_state(running_stack, sender)
        assert before["active_loop"], "the check-in form should be active"

        # Rasa's process goes away with everything it held in memory.
        await running_stack.stack.stop_rasa_server()
        await running_stack.stack.restart_rasa_server()

        # The same tracker came back from the vault, form and answers included,
        # and the check-in goes on with its third question.
        assert await rasa_state(running_stack, sender) == before
        after = (await say(client, room, "nej")).lower()
        assert third in after
        assert first.lower() not in after
    finally:
        await client.stop()
