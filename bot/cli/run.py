"""``samtal run``: the whole embedded stack in one command, stopped by Ctrl-C."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

from bot.config import samtal_home
from bot.launcher.layout import StackLayout
from bot.launcher.stack import DEMO_PARTICIPANT, Stack, user_id

PROJECT = Path(__file__).resolve().parents[2]


async def run_stack() -> int:
    started = time.monotonic()
    stack = Stack(project=PROJECT, layout=StackLayout(samtal_home()))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        print("samtal: starting the homeserver …", flush=True)
        hs_layout = await stack.start_homeserver()
        await stack.provision(hs_layout)
        print("samtal: starting Rasa (training first if the dialogue data changed) …", flush=True)
        await stack.start_rasa()
        await stack.start_gateway()
        stack.write_stack_json()
        ready = time.monotonic() - started
        print(
            f"samtal: ready in {ready:.1f}s (training {stack.timings['rasa_train_s']:.1f}s)\n"
            f"  homeserver  {stack.homeserver_url}   bot {user_id('samtal')}\n"
            f"  talk to it  .venv/bin/samtal chat   (as {user_id(DEMO_PARTICIPANT)})\n"
            f"  details     {stack.layout.stack_json}\n"
            "  stop        Ctrl-C",
            flush=True,
        )
        await stop.wait()
    finally:
        print("samtal: stopping …", flush=True)
        await stack.stop()
    return 0
