"""A whole gateway in one process, with the real screen, vault and escalation engine:
the homeserver and Rasa addresses lead nowhere, so a test fakes what it talks to."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from bot.cli.gateway import SCHEMA
from bot.config import parse_config
from bot.gateway.gateway import Gateway
from bot.turns.screening import RiskScreen

BOT = "@samtal:localhost"
PARTICIPANT = "@deltagare:localhost"
MEDIATOR = "@m:localhost"
SUPERVISOR = "@chef:localhost"


def _secret(home: Path, name: str, value: str) -> None:
    path = home / "secrets" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(value)
    os.chmod(path, 0o600)


def make_gateway(home: Path, monkeypatch: pytest.MonkeyPatch) -> Gateway:
    for name in ("SAMTAL_PICKLE_KEY", "SAMTAL_RASA_TOKEN", "SAMTAL_VAULT_URL"):
        monkeypatch.delenv(name, raising=False)
    _secret(home, "pickle.key", "p" * 40)
    _secret(home, "rasa.token", "t" * 40)
    raw: dict[str, Any] = {
        "matrix": {
            "homeserver_url": "http://127.0.0.1:9",
            "bot_user_id": BOT,
            "bot_password_file": "secrets/bot.password",
            "mediators": [MEDIATOR],
        },
        "rasa": {"url": "http://127.0.0.1:9", "token_file": "secrets/rasa.token"},
        "crypto": {"kek_file": "secrets/kek.hex", "pickle_key_file": "secrets/pickle.key"},
        "dialogue": {"consent_version": "v2", "default_language": "sv", "languages": ["sv"]},
        "escalation": {
            "on_call": ["@jour:localhost"],
            "supervisors": [SUPERVISOR],
            "ack_seconds": {"imminent": 300, "high": 3600, "handoff": 3600},
        },
        "monitoring": {"port": 0},
        "console": {"port": 0},
    }
    return Gateway(parse_config(raw, home), SCHEMA, RiskScreen())
