"""``samtal gateway``: run the gateway process until it is stopped."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from bot import logs
from bot.config import load_config, samtal_home
from bot.gateway import Gateway
from bot.screening import RiskScreen

SCHEMA = Path(__file__).resolve().parents[2] / "dialogues" / "effects.schema.json"


async def run_gateway() -> int:
    logs.configure()
    home = samtal_home()
    config = load_config(home / "samtal.yaml", home)
    gateway = Gateway(config, SCHEMA, RiskScreen())
    task = asyncio.create_task(gateway.run())
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, task.cancel)
    try:
        await task
    except asyncio.CancelledError:
        logs.event("gateway_stopped")
    return 0
