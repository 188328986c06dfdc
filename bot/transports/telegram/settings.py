"""The ``telegram:`` section of samtal.yaml, validated; and the bot token, read privately.

Telegram is opt-in: no section, or ``enabled: false``, means no Telegram at all.
The token gives whoever holds it the bot and every chat it has, so it comes from
an environment variable or from a file only its owner can read, never from the
config file, and no message here ever repeats it.
"""

from __future__ import annotations

import math
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlparse

from bot.errors import ConfigError

Mode = Literal["polling", "webhook"]

DEFAULT_TOKEN_ENV = "SAMTAL_TELEGRAM_TOKEN"  # noqa: S105 (a variable name)
DEFAULT_TOKEN_FILE = "gateway/telegram-token"  # noqa: S105 (a path)
DEFAULT_POLL_TIMEOUT = 25.0
DEFAULT_WEBHOOK_PORT = 8443
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}
# The form BotFather gives: the bot's numeric id, a colon, and a secret.
_TOKEN = re.compile(r"[0-9]{1,20}:[A-Za-z0-9_-]{20,100}")
_ENV_NAME = re.compile(r"[A-Z_][A-Z0-9_]{0,63}")
_KEYS = frozenset(
    {
        "enabled",
        "token_file",
        "token_env",
        "mode",
        "api_url",
        "webhook_url",
        "webhook_port",
        "poll_timeout_seconds",
    }
)


@dataclass(frozen=True)
class TelegramSettings:
    token_file: Path | None
    token_env: str = DEFAULT_TOKEN_ENV
    mode: Mode = "polling"
    # None is Telegram's cloud; a local Bot API server (or the tests' fake) otherwise.
    api_url: str | None = None
    webhook_url: str | None = None
    webhook_port: int = DEFAULT_WEBHOOK_PORT
    poll_timeout_seconds: float = DEFAULT_POLL_TIMEOUT


def parse_telegram(section: dict[str, Any] | None, home: Path) -> TelegramSettings | None:
    """The settings, or None when Telegram is not turned on."""
    if section is None:
        return None
    if not isinstance(section, dict):
        raise ConfigError("config section 'telegram' must be a mapping")
    unknown = sorted(str(k) for k in section if k not in _KEYS)
    if unknown:
        raise ConfigError(f"telegram: unknown setting(s) {', '.join(unknown)}")
    enabled = section.get("enabled", True)
    if not isinstance(enabled, bool):
        raise ConfigError("telegram.enabled must be true or false")
    if not enabled:
        return None
    mode = section.get("mode", "polling")
    if mode not in ("polling", "webhook"):
        raise ConfigError("telegram.mode must be 'polling' or 'webhook'")
    token_env = section.get("token_env", DEFAULT_TOKEN_ENV)
    if not isinstance(token_env, str) or not _ENV_NAME.fullmatch(token_env):
        raise ConfigError("telegram.token_env must be an environment variable name")
    token_file = section.get("token_file", DEFAULT_TOKEN_FILE)
    if not isinstance(token_file, str) or not token_file:
        raise ConfigError("telegram.token_file must be a non-empty path")
    webhook_url = _webhook_url(section.get("webhook_url"), mode)
    return TelegramSettings(
        token_file=home / token_file,
        token_env=token_env,
        mode=mode,
        api_url=_api_url(section.get("api_url")),
        webhook_url=webhook_url,
        webhook_port=_port(section.get("webhook_port", DEFAULT_WEBHOOK_PORT)),
        poll_timeout_seconds=_poll_timeout(
            section.get("poll_timeout_seconds", DEFAULT_POLL_TIMEOUT)
        ),
    )


def _api_url(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise ConfigError("telegram.api_url must be a URL")
    try:
        parsed = urlparse(value)
    except ValueError as exc:
        raise ConfigError("telegram.api_url is not a valid URL") from exc
    if parsed.scheme == "https" and parsed.hostname:
        return value.rstrip("/")
    # A local Bot API server may speak plain HTTP, but only on this machine: the
    # token travels in every request's path.
    if parsed.scheme == "http" and parsed.hostname in _LOOPBACK:
        return value.rstrip("/")
    raise ConfigError("telegram.api_url must be https, or http on loopback")


def _webhook_url(value: Any, mode: str) -> str | None:
    if mode != "webhook":
        if value is not None:
            raise ConfigError("telegram.webhook_url is only used with mode: webhook")
        return None
    if not isinstance(value, str):
        raise ConfigError("telegram.webhook_url is required with mode: webhook")
    try:
        parsed = urlparse(value)
    except ValueError as exc:
        raise ConfigError("telegram.webhook_url is not a valid URL") from exc
    if parsed.scheme != "https" or not parsed.hostname:
        raise ConfigError("telegram.webhook_url must be an https URL (Telegram requires it)")
    return value


def _port(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        raise ConfigError("telegram.webhook_port must be a port number (1-65535)")
    return value


def _poll_timeout(value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        number = math.nan
    # Telegram holds a long poll for at most 50 s; 0 would poll in a tight loop.
    if isinstance(value, bool) or not math.isfinite(number) or not 1 <= number <= 50:
        raise ConfigError("telegram.poll_timeout_seconds must be a number from 1 to 50")
    return number


def read_token(settings: TelegramSettings) -> str:
    """The bot token, from the environment first, else from a file only its owner reads."""
    from_env = os.environ.get(settings.token_env, "").strip()
    if from_env:
        return _checked(from_env, settings.token_env)
    path = settings.token_file
    if path is None:
        raise ConfigError(f"Telegram token missing: set {settings.token_env}")
    if not path.exists():
        raise ConfigError(f"Telegram token missing: set {settings.token_env} or create {path}")
    if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(f"{path} is readable by others; run: chmod 600 {path}")
    try:
        token = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        # Not chained: the decoder's message quotes the bytes it met.
        raise ConfigError(f"Telegram token file {path} is not a readable UTF-8 text file") from None
    return _checked(token, str(path))


def _checked(token: str, source: str) -> str:
    if not _TOKEN.fullmatch(token):
        # Where it came from, never what it was.
        raise ConfigError(f"the Telegram token from {source} is not in BotFather's form")
    return token
