"""``samtal gateway``: run the gateway process until it is stopped."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

from bot import logs
from bot.cli.instance_lock import AlreadyRunning, InstanceLock, gateway_lock_path
from bot.config import GatewayConfig, load_config, samtal_home
from bot.gateway.gateway import Gateway
from bot.turns.screening import RiskScreen

SCHEMA = Path(__file__).resolve().parents[2] / "dialogues" / "effects.schema.json"


async def run_gateway() -> int:
    logs.configure()
    home = samtal_home()
    config = load_config(home / "samtal.yaml", home)
    lock = InstanceLock(gateway_lock_path(config.home))
    try:
        lock.acquire()  # before the vault and the crypto store are opened
    except AlreadyRunning as exc:
        logs.warning("gateway_already_running")
        print(f"samtal gateway: {exc}; not starting a second one.", file=sys.stderr)
        return 2
    try:
        return await _serve(config)
    finally:
        lock.release()


async def _serve(config: GatewayConfig) -> int:
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
