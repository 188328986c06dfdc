"""``samtal console``: where the supervisor console is served.

The console runs inside the gateway (it sends login codes through the
gateway's desks and reads its vault), so this command only says where.
"""

from __future__ import annotations

from bot.config import load_config, samtal_home
from bot.errors import ConfigError


def run_console() -> int:
    home = samtal_home()
    config = load_config(home / "samtal.yaml", home)
    if not config.console.enabled:
        raise ConfigError("the console is off: set console.port in samtal.yaml (docs/console.md)")
    print(f"supervisor console (served by the gateway): {config.console.url}")
    print("Log in with your Matrix id; a one-time code arrives in your desk.")
    return 0
