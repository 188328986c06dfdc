from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from bot.config import DEFAULT_MONITORING_PORT, load_config, parse_config
from bot.errors import ConfigError


def secret(home: Path, name: str, value: str, mode: int = 0o600) -> None:
    path = home / "secrets" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(value)
    os.chmod(path, mode)


def raw(**overrides: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "matrix": {
            "homeserver_url": "http://127.0.0.1:8008",
            "bot_user_id": "@samtal:localhost",
            "bot_password_file": "secrets/bot.password",
            "mediators": ["@m:localhost"],
        },
        "rasa": {"url": "http://127.0.0.1:5005", "token_file": "secrets/rasa.token"},
        "crypto": {"kek_file": "secrets/kek.hex", "pickle_key_file": "secrets/pickle.key"},
        "dialogue": {"consent_version": "v1", "default_language": "sv", "languages": ["sv", "en"]},
        "escalation": {
            "on_call": ["@oncall:localhost"],
            "supervisors": ["@boss:localhost"],
            "ack_seconds": {"imminent": 300, "high": 3600, "handoff": 3600},
            "quiet_hours": "22:00-07:00",
        },
    }
    for section, values in overrides.items():
        config[section] = {**config[section], **values}
    return config


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("SAMTAL_PICKLE_KEY", "SAMTAL_RASA_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    secret(tmp_path, "pickle.key", "p" * 40)
    secret(tmp_path, "rasa.token", "t" * 40)
    return tmp_path


def test_valid_config_loads(home: Path) -> None:
    config = parse_config(raw(), home)
    assert config.rasa.token == "t" * 40
    assert config.matrix.mediators == ("@m:localhost",)
    assert config.dialogue.languages == ("sv", "en")


def test_default_pickle_key_is_refused(home: Path) -> None:
    secret(home, "pickle.key", "DEFAULT_KEY")
    with pytest.raises(ConfigError, match="pickle key"):
        parse_config(raw(), home)


def test_secret_readable_by_others_is_refused(home: Path) -> None:
    secret(home, "rasa.token", "t" * 40, mode=0o644)
    with pytest.raises(ConfigError, match="readable by others"):
        parse_config(raw(), home)


def test_rasa_off_loopback_is_refused(home: Path) -> None:
    with pytest.raises(ConfigError, match="loopback"):
        parse_config(raw(rasa={"url": "http://10.0.0.5:5005"}), home)


def test_short_rasa_token_is_refused(home: Path) -> None:
    secret(home, "rasa.token", "short")
    with pytest.raises(ConfigError, match="token"):
        parse_config(raw(), home)


def test_default_language_must_be_supported(home: Path) -> None:
    with pytest.raises(ConfigError, match="default_language"):
        parse_config(raw(dialogue={"default_language": "fi"}), home)


def test_missing_section_is_named(home: Path) -> None:
    broken = raw()
    del broken["rasa"]
    with pytest.raises(ConfigError, match="rasa"):
        parse_config(broken, home)


def test_secret_from_environment_wins(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAMTAL_RASA_TOKEN", "e" * 40)
    assert parse_config(raw(), home).rasa.token == "e" * 40


def test_example_config_is_valid(home: Path) -> None:
    import yaml

    example = Path(__file__).resolve().parents[2] / "samtal.example.yaml"
    parse_config(yaml.safe_load(example.read_text()), home)


def test_missing_deadline_is_refused(home: Path) -> None:
    with pytest.raises(ConfigError, match="deadline"):
        parse_config(raw(escalation={"ack_seconds": {"imminent": 300}}), home)


def test_malformed_quiet_hours_are_refused(home: Path) -> None:
    with pytest.raises(ConfigError, match="quiet hours"):
        parse_config(raw(escalation={"quiet_hours": "late"}), home)


def test_staff_is_everyone_who_may_act(home: Path) -> None:
    config = parse_config(raw(), home)
    assert config.staff == {"@m:localhost", "@oncall:localhost", "@boss:localhost"}


def test_retention_defaults_to_ninety_days(home: Path) -> None:
    assert parse_config(raw(), home).retention_seconds == 90 * 86_400


def test_retention_must_be_positive(home: Path) -> None:
    broken = raw()
    broken["retention"] = {"days_after_leaving": 0}
    with pytest.raises(ConfigError, match="retention"):
        parse_config(broken, home)


def test_checkin_timing_defaults_and_overrides(home: Path) -> None:
    assert parse_config(raw(), home).checkins.timing.remind_after == 2 * 3600
    changed = raw()
    changed["checkins"] = {"remind_after_minutes": 30, "tick_seconds": 5}
    config = parse_config(changed, home)
    assert config.checkins.timing.remind_after == 1800
    assert config.checkins.tick_seconds == 5


def test_a_reminder_after_the_miss_is_refused(home: Path) -> None:
    broken = raw()
    broken["checkins"] = {"remind_after_minutes": 2000, "missed_after_hours": 24}
    with pytest.raises(ConfigError, match="remind_after"):
        parse_config(broken, home)


def test_an_unknown_time_zone_is_refused(home: Path) -> None:
    broken = raw()
    broken["dialogue"]["timezone"] = "Europe/Atlantis"
    with pytest.raises(ConfigError, match="time zone"):
        parse_config(broken, home)


def test_a_time_zone_follows_daylight_saving(home: Path) -> None:
    from datetime import datetime, timezone

    zoned = raw()
    zoned["dialogue"]["timezone"] = "Europe/Stockholm"
    zone = parse_config(zoned, home).dialogue.zone
    summer = datetime(2026, 7, 1, 12, tzinfo=timezone.utc).astimezone(zone)
    assert summer.utcoffset() is not None and summer.utcoffset().total_seconds() == 7200
    assert parse_config(raw(), home).dialogue.zone.utcoffset(None).total_seconds() == 3600


def test_the_vault_is_local_sqlite_unless_a_url_is_given(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SAMTAL_VAULT_URL", raising=False)
    config = parse_config(raw(), home)
    assert config.vault_url == f"sqlite:///{home / 'gateway' / 'vault.db'}"
    monkeypatch.setenv("SAMTAL_VAULT_URL", "postgresql://samtal:pw@db.internal/samtal")
    assert parse_config(raw(), home).vault_url == "postgresql://samtal:pw@db.internal/samtal"


def test_a_vault_url_file_must_be_private(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SAMTAL_VAULT_URL", raising=False)
    url_file = home / "vault.url"
    url_file.write_text("postgresql://samtal:pw@db.internal/samtal\n")
    url_file.chmod(0o644)
    with_file = raw()
    with_file["storage"] = {"vault_url_file": "vault.url"}
    with pytest.raises(ConfigError, match="readable by others"):
        parse_config(with_file, home)
    url_file.chmod(0o600)
    assert parse_config(with_file, home).vault_url.startswith("postgresql://")


def test_the_environment_wins_over_the_vault_url_file(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url_file = home / "vault.url"
    url_file.write_text("postgresql://from-file@db.internal/samtal\n")
    url_file.chmod(0o600)
    with_file = raw()
    with_file["storage"] = {"vault_url_file": "vault.url"}
    monkeypatch.setenv("SAMTAL_VAULT_URL", "PostgreSQL://from-env@db.internal/samtal")
    config = parse_config(with_file, home)
    assert config.vault_url == "PostgreSQL://from-env@db.internal/samtal"
    assert "from-env" not in repr(config)  # the URL may carry a password


def test_a_vault_url_of_an_unknown_kind_is_refused(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAMTAL_VAULT_URL", "mysql://root@db.internal/samtal")
    with pytest.raises(ConfigError, match="vault URL must be"):
        parse_config(raw(), home)


def test_sections_of_comments_only_mean_the_defaults(home: Path) -> None:
    empty = raw()
    empty.update({"storage": None, "checkins": None, "digest": None})
    config = parse_config(empty, home)
    assert config.checkins.tick_seconds == 30 and config.digest_at.hour == 8


@pytest.mark.parametrize("key", ["on_call", "supervisors"])
def test_an_escalation_chain_with_nobody_at_a_step_is_refused(home: Path, key: str) -> None:
    with pytest.raises(ConfigError, match=f"escalation.{key} must name at least one person"):
        parse_config(raw(escalation={key: []}), home)
    with pytest.raises(ConfigError, match=f"escalation.{key} must name at least one person"):
        parse_config(_without(key), home)


def _without(key: str) -> dict[str, Any]:
    config = raw()
    del config["escalation"][key]
    return config


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"rasa": {"timeout_seconds": [1]}}, "rasa.timeout_seconds must be a finite number"),
        ({"rasa": {"timeout_seconds": ".nan"}}, "rasa.timeout_seconds must be a finite number"),
        ({"rasa": {"url": "http://[::1"}}, "rasa.url is not a valid URL"),
        ({"dialogue": {"languages": 5}}, "dialogue.languages must be a list"),
        ({"dialogue": {"utc_offset_minutes": 100_000}}, "within a day"),
        ({"dialogue": {"utc_offset_minutes": "x"}}, "must be a finite number"),
        ({"escalation": {"ack_seconds": {"high": "soon"}}}, "ack_seconds.high must be"),
        ({"escalation": {"ack_seconds": {"high": float("inf")}}}, "ack_seconds.high must be"),
        ({"crypto": {"pickle_key_file": "secrets"}}, "not a readable UTF-8 text file"),
    ],
)
def test_malformed_settings_are_refused_with_a_reason(
    home: Path, overrides: dict[str, Any], reason: str
) -> None:
    os.chmod(home / "secrets", 0o700)
    with pytest.raises(ConfigError, match=reason):
        parse_config(raw(**overrides), home)


@pytest.mark.parametrize(
    ("section", "value"),
    [
        ("retention", {"days_after_leaving": float("nan")}),
        ("retention", {"days_after_leaving": 1e306}),
        ("checkins", {"tick_seconds": float("nan")}),
        ("checkins", {"missed_after_hours": 1e306}),
    ],
)
def test_durations_must_be_finite(home: Path, section: str, value: dict[str, Any]) -> None:
    with pytest.raises(ConfigError, match=section):
        parse_config({**raw(), section: value}, home)


def test_a_secret_that_is_not_utf8_is_refused_without_quoting_it(home: Path) -> None:
    (home / "secrets" / "rasa.token").write_bytes(b"\xff" * 40)
    with pytest.raises(ConfigError, match="not a readable UTF-8") as caught:
        parse_config(raw(), home)
    assert "xff" not in str(caught.value)


@pytest.mark.parametrize("content", [b"\xff\xfe", b"[" * 20_000])
def test_an_unreadable_config_file_is_a_config_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "samtal.yaml"
    path.write_bytes(content)
    with pytest.raises(ConfigError, match="config"):
        load_config(path, tmp_path)


def test_monitoring_settings_default_to_loopback_and_refuse_beyond_it(home: Path) -> None:
    config = parse_config(raw(), home)
    assert config.monitoring.port == DEFAULT_MONITORING_PORT
    assert config.monitoring.host == "127.0.0.1"
    assert config.monitoring.enabled
    off = parse_config({**raw(), "monitoring": {"port": 0}}, home)
    assert not off.monitoring.enabled
    beyond = {"host": "192.0.2.10", "allow_non_loopback": True}
    assert not parse_config({**raw(), "monitoring": beyond}, home).monitoring.loopback
    refused: list[Any] = [
        {"host": "192.0.2.10"},
        {"host": "10.0.0.5", "allow_non_loopback": "yes"},
        {"port": 70000},
        {"port": True},
        {"port": "9733"},
        {"sync_stale_seconds": 10},
        ["not", "a", "mapping"],
    ]
    for section in refused:
        with pytest.raises(ConfigError, match="monitoring"):
            parse_config({**raw(), "monitoring": section}, home)


def test_a_quoted_yes_or_no_is_refused(home: Path) -> None:
    for key in ("quote_message", "team_room"):
        with pytest.raises(ConfigError, match=key):
            parse_config(raw(escalation={key: "false"}), home)
    config = parse_config(raw(escalation={"team_room": False, "quote_message": False}), home)
    assert config.escalation.team_room is False and config.consent_terms.quote_message is False


def test_the_console_is_off_unless_given_a_port_and_names_only_a_host(home: Path) -> None:
    assert not parse_config(raw(), home).console.enabled
    on = parse_config({**raw(), "console": {"port": 8470}}, home).console
    assert on.enabled and on.url == "http://127.0.0.1:8470/" and on.public_host is None
    proxied = {"port": 8470, "public_host": "Console.Example.org"}
    assert parse_config({**raw(), "console": proxied}, home).console.public_host == (
        "console.example.org"
    )
    refused: list[Any] = [
        {"port": 70000},
        {"port": True},
        {"port": "8470"},
        {"port": 8470, "public_host": "https://console.example.org/"},
        {"port": 8470, "public_host": "evil.example, other"},
        {"port": 8470, "public_host": ""},
        ["not", "a", "mapping"],
    ]
    for section in refused:
        with pytest.raises(ConfigError, match="console"):
            parse_config({**raw(), "console": section}, home)
