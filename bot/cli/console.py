"""``samtal console``: the supervisor's read-only web console on loopback."""

from __future__ import annotations

import asyncio
import secrets
import signal
import time
from datetime import tzinfo
from pathlib import Path

from bot.config import load_config, samtal_home
from bot.console.server import console_url, create_app, start_console
from bot.console.summary import build_summary
from bot.errors import ConfigError
from bot.vault_access import open_configured_vault
from safety.audit.log import AuditLog
from safety.vault import Vault

PROJECT = Path(__file__).resolve().parents[2]
# The audit trail has no action of its own for the console; opening it decrypts
# every escalation record, so it is recorded as access to content.
_AUDIT_ACTION = "content_access"
_AUDIT_ACTOR = "supervisor"
_AUDIT_REASON = "supervisor console started"


async def _serve(vault: Vault, zone: tzinfo, port: int) -> None:
    secret = secrets.token_urlsafe(32)
    app = create_app(lambda: build_summary(vault, PROJECT, time.time(), zone), zone, secret)
    try:
        runner, bound = await start_console(app, port)
    except OSError as exc:
        raise ConfigError(f"cannot listen on 127.0.0.1:{port}: {exc.strerror}") from exc
    try:
        print(f"supervisor console (read-only, this computer only): {console_url(bound, secret)}")
        print(
            "The link holds a token made for this run only; it stops working when this "
            "command ends. Keep this output private."
        )
        print("Stop with Ctrl-C.", flush=True)
        stop = asyncio.Event()
        # A service manager stops with SIGTERM: end cleanly so the vault is closed.
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        await stop.wait()
    finally:
        await runner.cleanup()


def run_console(port: int) -> int:
    home = samtal_home()
    config = load_config(home / "samtal.yaml", home)
    if config.vault_url_secret is None and not config.vault_path.is_file():
        # Opening a missing vault would create an empty one under a new key.
        raise ConfigError(f"no vault at {config.vault_path}: start the gateway once first")
    vault = open_configured_vault(config)
    try:
        if AuditLog(vault).head() is None:
            # A wrong SAMTAL_VAULT_URL: an empty database, not the gateway's vault.
            raise ConfigError("this vault has no audit trail: is SAMTAL_VAULT_URL right?")
        # Before serving anything, and fatal if it fails: the entry is the
        # condition for looking at the vault at all.
        AuditLog(vault).append(_AUDIT_ACTION, _AUDIT_ACTOR, None, _AUDIT_REASON)
        asyncio.run(_serve(vault, config.dialogue.zone, port))
    finally:
        vault.close()
    return 0
