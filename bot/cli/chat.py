"""``samtal chat``: talk to the bot as the demo participant, over real E2EE."""

from __future__ import annotations

import asyncio
import json
import logging
import sys

from bot.config import samtal_home
from bot.errors import ConfigError
from bot.launcher.layout import StackLayout
from bot.transports.matrix.chat_client import ChatClient

_ROOM_FILE = "room.json"


async def _read_line() -> str | None:
    line = await asyncio.to_thread(sys.stdin.readline)
    return line.rstrip("\n") if line else None


async def run_chat() -> int:
    # nio warns about Olm sessions on stderr; the chat screen is for the conversation.
    logging.getLogger("nio").setLevel(logging.ERROR)
    layout = StackLayout(samtal_home())
    if not layout.stack_json.exists():
        raise ConfigError("the stack is not running: start it with `make run` first")
    stack = json.loads(layout.stack_json.read_text())
    account = stack["accounts"]["participant"]
    device_dir = layout.device_dir("demo-participant")
    client = ChatClient(
        stack["homeserver_url"],
        account["user_id"],
        device_dir,
        layout.read_secret("demo-device.key"),
    )
    await client.login_once(layout.read_secret("participant.password"), device_dir / "login.json")
    await client.start()
    room_file = device_dir / _ROOM_FILE
    room_id = json.loads(room_file.read_text())["room_id"] if room_file.exists() else None
    if room_id is None or room_id not in client.client.rooms:
        print("Opening an encrypted chat with the bot …", flush=True)
        room_id = await client.open_chat(stack["bot_user_id"])
        room_file.write_text(json.dumps({"room_id": room_id}))
    print("Connected (end-to-end encrypted). Write a message; Ctrl-D to leave.", flush=True)
    printer = asyncio.create_task(_print_replies(client, room_id))
    try:
        while (line := await _read_line()) is not None:
            if line.strip():
                await client.send(room_id, line)
    finally:
        printer.cancel()
        await client.stop()
    return 0


async def _print_replies(client: ChatClient, room_id: str) -> None:
    while True:
        got_room, _, body = await client.inbox.get()
        if got_room == room_id:
            print(f"samtal › {body}", flush=True)
