"""Reply round trip over Matrix E2EE through the whole stack.

Starts the embedded stack in a temporary SAMTAL_HOME, enrols a participant,
gets past consent, then sends 20 messages one after another and measures the
time from sending each to decrypting the bot's first reply.
"""

from __future__ import annotations

import asyncio
import secrets
import statistics
import tempfile
import time
from pathlib import Path

from bench.stats import percentile
from bot.launcher.homeserver import register_user
from bot.launcher.layout import StackLayout
from bot.launcher.stack import Stack
from bot.transports.matrix.chat_client import ChatClient

PROJECT = Path(__file__).resolve().parents[1]
MESSAGES = 20


async def run() -> None:
    home = Path(tempfile.mkdtemp(prefix="samtal-bench-"))
    stack = Stack(project=PROJECT, layout=StackLayout(home), for_tests=True)
    started = time.monotonic()
    try:
        hs_layout = await stack.start_homeserver()
        await stack.provision(hs_layout)
        await stack.start_rasa()
        await stack.start_gateway()
        ready = time.monotonic() - started
        password = secrets.token_urlsafe(16)
        user = await register_user(
            stack.homeserver_url, hs_layout.read_registration_secret(), "bench", password
        )
        # The homeserver has `make run`'s limits; only the bench's own client is exempted.
        await stack.exempt_from_rate_limits(user.user_id)
        await stack.enroll(user.user_id, "sv", None)
        client = ChatClient(
            stack.homeserver_url, user.user_id, home / "bench-device", secrets.token_urlsafe(32)
        )
        await client.login(password)
        await client.start()
        room = await client.open_chat("@samtal:localhost")
        await client.send(room, "hej")
        await client.quiet_for(room, 3)
        await client.send(room, "nej")
        await client.quiet_for(room, 2)
        samples = []
        for index in range(MESSAGES):
            sent = time.perf_counter()
            await client.send(room, "vi hörs" if index % 2 else "hej då")
            await client.replies(room, 1, timeout=30)
            samples.append((time.perf_counter() - sent) * 1000)
            await client.quiet_for(room, 0.5)
        await client.stop()
        print(f"stack ready (cached model): {ready:.1f} s; timings {stack.timings}")
        print(f"reply round trip over E2EE, {MESSAGES} sequential messages:")
        print(
            f"  p50 {statistics.median(samples):.0f} ms  p90 {percentile(samples, 0.9):.0f} ms"
            f"  max {max(samples):.0f} ms"
        )
    finally:
        await stack.stop()


def main() -> None:
    asyncio.run(run())
