"""Typed gateway configuration, validated on load.

Secrets never live in the config file: each is read from an environment
variable or from a file that only its owner can read. The loader refuses
insecure settings instead of warning about them.
"""

from __future__ import annotations

import math
import os
import re
import stat
from dataclasses import dataclass, field
from datetime import time, timedelta, tzinfo
from datetime import timezone as dt_timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from bot.core.checkins import CheckinTiming
from bot.errors import ConfigError
from bot.transports.telegram.settings import TelegramSettings, parse_telegram
from safety.consent_terms import ConsentTerms
from safety.escalation.policy import EscalationPolicy, QuietHours

_LOOPBACK = {"127.0.0.1", "localhost", "::1"}
_MIN_SECRET_CHARS = 32
_DAY_MINUTES = 24 * 60
_HOST_NAME = re.compile(r"[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?")


@dataclass(frozen=True)
class MatrixConfig:
    homeserver_url: str
    bot_user_id: str
    bot_password_file: Path
    device_name: str
    mediators: tuple[str, ...]


@dataclass(frozen=True)
class RasaConfig:
    url: str
    token: str
    timeout_seconds: float


@dataclass(frozen=True)
class DialogueConfig:
    consent_version: str
    default_language: str
    languages: tuple[str, ...]
    utc_offset_minutes: int = 60
    # An IANA zone (Europe/Stockholm) follows daylight saving; without one the
    # fixed offset above is used.
    timezone: str | None = None

    @property
    def zone(self) -> tzinfo:
        if self.timezone is not None:
            return ZoneInfo(self.timezone)
        return dt_timezone(timedelta(minutes=self.utc_offset_minutes))


@dataclass(frozen=True)
class EscalationConfig:
    on_call: tuple[str, ...]
    supervisors: tuple[str, ...]
    quote_message: bool
    policy: EscalationPolicy
    # A room shared by all staff, for content-free notices only (that a page is
    # open, device reports, the audit head). Pages themselves go to desks.
    team_room: bool = True


@dataclass(frozen=True)
class CheckinConfig:
    tick_seconds: float = 30.0
    timing: CheckinTiming = field(default_factory=CheckinTiming)


DEFAULT_MONITORING_PORT = 9733


@dataclass(frozen=True)
class MonitoringConfig:
    """The health and metrics endpoints (docs/operations.md); port 0 turns them off."""

    host: str = "127.0.0.1"
    port: int = DEFAULT_MONITORING_PORT
    # /healthz answers 503 when the last successful sync is older than this.
    sync_stale_seconds: float = 90.0

    @property
    def enabled(self) -> bool:
        return self.port != 0

    @property
    def loopback(self) -> bool:
        return self.host in _LOOPBACK


@dataclass(frozen=True)
class ConsoleConfig:
    """The supervisor console, served by the gateway on loopback (docs/console.md);
    port 0 turns it off."""

    port: int = 0
    # The name a TLS reverse proxy serves it under (console.example.org); requests
    # naming any other host than this or loopback are refused (DNS rebinding).
    public_host: str | None = None

    @property
    def enabled(self) -> bool:
        return self.port != 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"


@dataclass(frozen=True)
class GatewayConfig:
    home: Path
    matrix: MatrixConfig
    rasa: RasaConfig
    dialogue: DialogueConfig
    escalation: EscalationConfig
    retention_seconds: float
    kek_file: Path
    pickle_key: str
    checkins: CheckinConfig = field(default_factory=CheckinConfig)
    digest_at: time = time(8, 0)
    monitoring: MonitoringConfig = field(default_factory=MonitoringConfig)
    console: ConsoleConfig = field(default_factory=ConsoleConfig)
    # A PostgreSQL vault for deployments beyond one machine; it carries a password,
    # so it comes from SAMTAL_VAULT_URL or a 0600 file, never from this config.
    vault_url_secret: str | None = field(default=None, repr=False)
    # Telegram as a second transport, off unless configured (bot/transports/telegram).
    telegram: TelegramSettings | None = None

    @property
    def staff(self) -> frozenset[str]:
        """Everyone who may act on escalations and give the bot commands."""
        return frozenset(
            self.matrix.mediators + self.escalation.on_call + self.escalation.supervisors
        )

    @property
    def consent_terms(self) -> ConsentTerms:
        """What the consent text promises, as this configuration makes it true."""
        return ConsentTerms.of(self.escalation.quote_message, self.retention_seconds)

    @property
    def vault_path(self) -> Path:
        return self.home / "gateway" / "vault.db"

    @property
    def vault_url(self) -> str:
        return self.vault_url_secret or f"sqlite:///{self.vault_path}"

    @property
    def nio_store_dir(self) -> Path:
        return self.home / "gateway" / "nio-store"


def read_secret(env_name: str, path: Path) -> str:
    """Read a secret from ``env_name`` if set, else from a private file."""
    from_env = os.environ.get(env_name)
    if from_env:
        return from_env.strip()
    if not path.exists():
        raise ConfigError(f"secret missing: set {env_name} or create {path}")
    if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(f"{path} is readable by others; run: chmod 600 {path}")
    try:
        return path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        # Neither the content nor the decoder's message (it quotes bytes) is repeated.
        raise ConfigError(f"secret {path} is not a readable UTF-8 text file") from exc


def _section(raw: dict[str, Any], name: str) -> dict[str, Any]:
    value = raw.get(name)
    if not isinstance(value, dict):
        raise ConfigError(f"config section '{name}' is missing or not a mapping")
    return value


def _number(section: dict[str, Any], key: str, default: float, where: str) -> float:
    """A finite number (YAML's .nan and .inf are refused, and so are lists or words)."""
    value = section.get(key, default)
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        number = math.nan
    if isinstance(value, bool) or not math.isfinite(number):
        raise ConfigError(f"{where}.{key} must be a finite number, not {value!r}")
    return number


def _offset(section: dict[str, Any], where: str) -> int:
    """Minutes east of UTC, as a fixed time zone takes them: less than a day either way."""
    minutes = _number(section, "utc_offset_minutes", 60, where)
    if minutes != int(minutes) or not -_DAY_MINUTES < minutes < _DAY_MINUTES:
        raise ConfigError(f"{where}.utc_offset_minutes must be whole minutes within a day")
    return int(minutes)


def _flag(section: dict[str, Any], key: str, default: bool, where: str) -> bool:
    """A yes/no setting: YAML true or false, never a quoted "false" read as true."""
    value = section.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"{where}.{key} must be true or false")
    return value


def _text(section: dict[str, Any], key: str, where: str) -> str:
    value = section.get(key)
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{where}.{key} must be a non-empty string")
    return value


def _pickle_key(home: Path, section: dict[str, Any]) -> str:
    key = read_secret("SAMTAL_PICKLE_KEY", home / _text(section, "pickle_key_file", "crypto"))
    if key == "DEFAULT_KEY" or len(key) < _MIN_SECRET_CHARS:
        raise ConfigError("the crypto-store pickle key must be a random secret of 32+ chars")
    return key


def _rasa(home: Path, section: dict[str, Any]) -> RasaConfig:
    url = _text(section, "url", "rasa")
    try:
        host = urlparse(url).hostname
    except ValueError as exc:
        raise ConfigError("rasa.url is not a valid URL") from exc
    if host not in _LOOPBACK:
        raise ConfigError("rasa.url must be on loopback: Rasa's HTTP API is never exposed")
    token = read_secret("SAMTAL_RASA_TOKEN", home / _text(section, "token_file", "rasa"))
    if len(token) < _MIN_SECRET_CHARS:
        raise ConfigError("the Rasa auth token must be a random secret of 32+ chars")
    timeout = _number(section, "timeout_seconds", 10, "rasa")
    if not 0 < timeout <= 120:
        raise ConfigError("rasa.timeout_seconds must be between 0 and 120")
    return RasaConfig(url=url.rstrip("/"), token=token, timeout_seconds=timeout)


def _dialogue(section: dict[str, Any]) -> DialogueConfig:
    listed = section.get("languages", ["sv", "en"])
    if not isinstance(listed, list) or not all(isinstance(v, str) and v for v in listed):
        raise ConfigError("dialogue.languages must be a list of language codes")
    languages = tuple(listed)
    default = _text(section, "default_language", "dialogue")
    if default not in languages:
        raise ConfigError("dialogue.default_language must be one of dialogue.languages")
    return DialogueConfig(
        consent_version=_text(section, "consent_version", "dialogue"),
        default_language=default,
        languages=languages,
        utc_offset_minutes=_offset(section, "dialogue"),
        timezone=_zone_name(section.get("timezone")),
    )


def _zone_name(value: Any) -> str | None:
    if value is None:
        return None
    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise ConfigError(f"dialogue.timezone: no such time zone {value!r}") from exc
    return str(value)


def _ids(section: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = section.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}.{key} must be a list of Matrix ids")
    return tuple(value)


def _escalation(section: dict[str, Any], zone_name: str | None) -> EscalationConfig:
    deadlines = section.get("ack_seconds", {})
    if not isinstance(deadlines, dict):
        raise ConfigError("escalation.ack_seconds must map levels to seconds")
    quiet = section.get("quiet_hours")
    offset = _offset(section, "escalation")
    policy = EscalationPolicy(
        ack_seconds={str(k): _number(deadlines, k, 0, "escalation.ack_seconds") for k in deadlines},
        quiet_hours=(
            QuietHours.parse(str(quiet), offset, ZoneInfo(zone_name) if zone_name else None)
            if quiet
            else None
        ),
    )
    on_call = _ids(section, "on_call", "escalation")
    supervisors = _ids(section, "supervisors", "escalation")
    # Re-escalation goes assigned → on-call → supervisor: with nobody at a step, a
    # page nobody acknowledged would have nowhere to go.
    for key, people in (("on_call", on_call), ("supervisors", supervisors)):
        if not people:
            raise ConfigError(f"escalation.{key} must name at least one person")
    return EscalationConfig(
        on_call=on_call,
        supervisors=supervisors,
        quote_message=_flag(section, "quote_message", True, "escalation"),
        policy=policy,
        team_room=_flag(section, "team_room", True, "escalation"),
    )


def _checkins(section: Any) -> CheckinConfig:
    section = {} if section is None else section  # a section of comments only
    if not isinstance(section, dict):
        raise ConfigError("checkins must be a mapping")
    values = {
        "tick_seconds": _number(section, "tick_seconds", 30, "checkins"),
        "start_window": _number(section, "start_window_minutes", 60, "checkins") * 60,
        "quiet_before": _number(section, "quiet_before_minutes", 10, "checkins") * 60,
        "remind_after": _number(section, "remind_after_minutes", 120, "checkins") * 60,
        "missed_after": _number(section, "missed_after_hours", 24, "checkins") * 3600,
        "high_window": _number(section, "high_risk_window_days", 7, "checkins") * 86_400,
    }
    if not all(math.isfinite(value) for value in values.values()):
        raise ConfigError("checkins: a duration is too long")
    if any(value < 0 for value in values.values()) or values["tick_seconds"] <= 0:
        raise ConfigError("checkins: every duration must be positive")
    if values["remind_after"] >= values["missed_after"]:
        raise ConfigError("checkins.remind_after_minutes must come before missed_after_hours")
    tick = values.pop("tick_seconds")
    return CheckinConfig(tick_seconds=tick, timing=CheckinTiming(**values))


def _digest_at(section: Any) -> time:
    section = {} if section is None else section  # a section of comments only
    if not isinstance(section, dict):
        raise ConfigError("digest must be a mapping")
    value = str(section.get("at", "08:00"))
    try:
        return time.fromisoformat(value.zfill(5))
    except ValueError as exc:
        raise ConfigError(f"digest.at must look like 08:00, not {value!r}") from exc


def _monitoring(section: Any) -> MonitoringConfig:
    section = {} if section is None else section  # a section of comments only
    if not isinstance(section, dict):
        raise ConfigError("monitoring must be a mapping")
    port = section.get("port", DEFAULT_MONITORING_PORT)
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise ConfigError(f"monitoring.port must be a port number (0 turns it off), not {port!r}")
    host = section.get("host", "127.0.0.1")
    if not isinstance(host, str) or not host:
        raise ConfigError("monitoring.host must be an address such as 127.0.0.1")
    allow_beyond = section.get("allow_non_loopback", False)
    if not isinstance(allow_beyond, bool):
        raise ConfigError("monitoring.allow_non_loopback must be true or false")
    if host not in _LOOPBACK and not allow_beyond:
        raise ConfigError(
            "monitoring.host must be loopback (127.0.0.1 or ::1); to serve health and "
            "metrics beyond this machine set monitoring.allow_non_loopback: true "
            "(see docs/operations.md)"
        )
    stale = _number(section, "sync_stale_seconds", 90, "monitoring")
    if not 45 <= stale <= 3600:
        raise ConfigError("monitoring.sync_stale_seconds must be between 45 and 3600")
    return MonitoringConfig(host=host, port=port, sync_stale_seconds=stale)


def _console(section: Any) -> ConsoleConfig:
    section = {} if section is None else section  # a section of comments only
    if not isinstance(section, dict):
        raise ConfigError("console must be a mapping")
    port = section.get("port", 0)
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise ConfigError(f"console.port must be a port number (0 turns it off), not {port!r}")
    public_host = section.get("public_host")
    if public_host is not None and (
        not isinstance(public_host, str) or not _HOST_NAME.fullmatch(public_host)
    ):
        raise ConfigError("console.public_host must be a host name such as console.example.org")
    return ConsoleConfig(port=port, public_host=public_host.lower() if public_host else None)


def _retention(section: Any) -> float:
    if not isinstance(section, dict):
        raise ConfigError("retention must be a mapping")
    days = _number(section, "days_after_leaving", 90, "retention")
    if days <= 0 or not math.isfinite(days * 86_400):
        raise ConfigError("retention.days_after_leaving must be positive")
    return days * 86_400


def parse_config(raw: dict[str, Any], home: Path) -> GatewayConfig:
    matrix = _section(raw, "matrix")
    crypto = _section(raw, "crypto")
    mediators = _ids(matrix, "mediators", "matrix")
    dialogue = _dialogue(_section(raw, "dialogue"))
    return GatewayConfig(
        home=home,
        matrix=MatrixConfig(
            homeserver_url=_text(matrix, "homeserver_url", "matrix").rstrip("/"),
            bot_user_id=_text(matrix, "bot_user_id", "matrix"),
            bot_password_file=home / _text(matrix, "bot_password_file", "matrix"),
            device_name=str(matrix.get("device_name", "samtal gateway")),
            mediators=mediators,
        ),
        rasa=_rasa(home, _section(raw, "rasa")),
        dialogue=dialogue,
        escalation=_escalation(_section(raw, "escalation"), dialogue.timezone),
        retention_seconds=_retention(raw.get("retention", {})),
        kek_file=home / _text(crypto, "kek_file", "crypto"),
        pickle_key=_pickle_key(home, crypto),
        checkins=_checkins(raw.get("checkins", {})),
        digest_at=_digest_at(raw.get("digest", {})),
        monitoring=_monitoring(raw.get("monitoring", {})),
        console=_console(raw.get("console", {})),
        vault_url_secret=_vault_url(home, raw.get("storage", {})),
        telegram=parse_telegram(raw.get("telegram"), home),
    )


def _vault_url(home: Path, section: Any) -> str | None:
    section = {} if section is None else section  # a section of comments only
    if not isinstance(section, dict):
        raise ConfigError("storage must be a mapping")
    named_file = section.get("vault_url_file")
    if named_file is None:
        from_env = os.environ.get("SAMTAL_VAULT_URL", "").strip()
        url = from_env or None
    else:
        url = read_secret("SAMTAL_VAULT_URL", home / str(named_file))
    if url is not None and url.split(":", 1)[0].lower() not in ("sqlite", "postgresql", "postgres"):
        raise ConfigError("the vault URL must be sqlite:///… or postgresql://…")
    return url


def load_config(path: Path, home: Path) -> GatewayConfig:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read config {path}: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"config {path} is not UTF-8 text (byte {exc.start})") from exc
    except RecursionError as exc:
        raise ConfigError(f"config {path} is nested too deeply") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"config {path} must be a mapping")
    return parse_config(raw, home)


def samtal_home() -> Path:
    return Path(os.environ.get("SAMTAL_HOME", "var")).resolve()
