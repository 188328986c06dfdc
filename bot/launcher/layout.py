"""Where the embedded stack keeps its state under SAMTAL_HOME, and its secrets."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from safety.private_files import create_private, write_private


@dataclass(frozen=True)
class StackLayout:
    home: Path

    @property
    def secrets(self) -> Path:
        return self.home / "secrets"

    @property
    def synapse(self) -> Path:
        return self.home / "synapse"

    @property
    def logs(self) -> Path:
        return self.home / "logs"

    @property
    def gateway_config(self) -> Path:
        return self.home / "samtal.yaml"

    @property
    def stack_json(self) -> Path:
        return self.home / "stack.json"

    @property
    def ports_json(self) -> Path:
        return self.home / "ports.json"

    def device_dir(self, name: str) -> Path:
        return self.home / "devices" / name

    def secret(self, name: str) -> Path:
        """A random secret file, created 0600 on first use."""
        path = self.secrets / name
        if not path.exists():
            self.secrets.mkdir(parents=True, exist_ok=True, mode=0o700)
            create_private(path, secrets.token_urlsafe(32) + "\n")
        return path

    def read_secret(self, name: str) -> str:
        return self.secret(name).read_text().strip()

    def write_secret(self, name: str, value: str) -> Path:
        """Replace a secret file's content; it stays 0600."""
        self.secrets.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = self.secrets / name
        write_private(path, value + "\n")
        return path

    def stored_secret(self, name: str) -> str | None:
        """A secret written by ``write_secret``, or None if there is none yet."""
        path = self.secrets / name
        return path.read_text().strip() if path.exists() else None


def write_gateway_config(
    layout: StackLayout,
    *,
    homeserver_url: str,
    bot_user_id: str,
    mediators: list[str],
    on_call: list[str],
    supervisors: list[str],
    rasa_url: str,
    ack_seconds: dict[str, float],
    monitoring_port: int = 0,
    console_port: int = 0,
    quiet_hours: str | None,
    retention_days: float = 90,
    checkins: dict[str, float] | None = None,
    digest_at: str = "08:00",
) -> Path:
    """The gateway config for the embedded stack; secrets are referenced, not copied."""
    config: dict[str, Any] = {
        "matrix": {
            "homeserver_url": homeserver_url,
            "bot_user_id": bot_user_id,
            "bot_password_file": "secrets/bot.password",
            "device_name": "samtal gateway",
            "mediators": mediators,
        },
        "rasa": {"url": rasa_url, "token_file": "secrets/rasa.token", "timeout_seconds": 15},
        "crypto": {"kek_file": "secrets/kek.hex", "pickle_key_file": "secrets/pickle.key"},
        "dialogue": {
            "consent_version": "v2",
            "default_language": "sv",
            "languages": ["sv", "en"],
            "timezone": "Europe/Stockholm",
        },
        "retention": {"days_after_leaving": retention_days},
        "escalation": {
            "on_call": on_call,
            "supervisors": supervisors,
            "quote_message": True,
            "ack_seconds": ack_seconds,
            "quiet_hours": quiet_hours,
            "utc_offset_minutes": 60,
        },
    }
    config["digest"] = {"at": digest_at}
    config["monitoring"] = {"host": "127.0.0.1", "port": monitoring_port}
    config["console"] = {"port": console_port}
    if checkins is not None:
        config["checkins"] = checkins
    layout.gateway_config.write_text(
        "# Written by samtal run for the embedded stack. See samtal.example.yaml.\n"
        + yaml.safe_dump(config, sort_keys=False)
    )
    return layout.gateway_config


def write_json(path: Path, data: dict[str, Any]) -> None:
    write_private(path, json.dumps(data, indent=2) + "\n")
