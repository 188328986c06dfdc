"""The telegram: section and the bot token."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.transports.telegram.settings import (
    DEFAULT_TOKEN_ENV,
    TelegramSettings,
    parse_telegram,
    read_token,
)
from tests.unit.transports.telegram.common import TOKEN


def test_no_section_or_turned_off_means_no_telegram(tmp_path: Path) -> None:
    assert parse_telegram(None, tmp_path) is None
    assert parse_telegram({"enabled": False}, tmp_path) is None


def test_defaults_poll_telegrams_cloud(tmp_path: Path) -> None:
    settings = parse_telegram({}, tmp_path)
    assert settings == TelegramSettings(
        token_file=tmp_path / "gateway" / "telegram-token",
        token_env=DEFAULT_TOKEN_ENV,
        mode="polling",
        api_url=None,
        webhook_url=None,
        poll_timeout_seconds=25.0,
    )


def test_webhook_mode(tmp_path: Path) -> None:
    settings = parse_telegram(
        {"mode": "webhook", "webhook_url": "https://bot.example.org/tg", "webhook_port": 8088},
        tmp_path,
    )
    assert settings is not None
    assert settings.mode == "webhook"
    assert settings.webhook_url == "https://bot.example.org/tg"
    assert settings.webhook_port == 8088


@pytest.mark.parametrize(
    ("section", "words"),
    [
        ("yes", "mapping"),
        ({"enabled": "false"}, "enabled"),
        ({"mode": "push"}, "mode"),
        ({"api_url": "http://api.example.org"}, "api_url"),
        ({"api_url": "ftp://127.0.0.1"}, "api_url"),
        ({"mode": "webhook"}, "webhook_url is required"),
        ({"mode": "webhook", "webhook_url": "http://bot.example.org"}, "https"),
        ({"webhook_url": "https://bot.example.org"}, "only used"),
        ({"mode": "webhook", "webhook_url": "https://x.org", "webhook_port": 0}, "port"),
        ({"poll_timeout_seconds": 0}, "poll_timeout"),
        ({"poll_timeout_seconds": 120}, "poll_timeout"),
        ({"poll_timeout_seconds": True}, "poll_timeout"),
        ({"token_env": "not a name"}, "token_env"),
        ({"token": "123:abc"}, "unknown"),
    ],
)
def test_bad_settings_are_refused_clearly(tmp_path: Path, section: object, words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        parse_telegram(section, tmp_path)  # type: ignore[arg-type]


def test_a_local_bot_api_server_may_speak_http_on_loopback(tmp_path: Path) -> None:
    settings = parse_telegram({"api_url": "http://127.0.0.1:8081/"}, tmp_path)
    assert settings is not None
    assert settings.api_url == "http://127.0.0.1:8081"


def _settings(tmp_path: Path) -> TelegramSettings:
    settings = parse_telegram({"token_env": "SAMTAL_TEST_TG_TOKEN"}, tmp_path)
    assert settings is not None
    return settings


def test_the_environment_comes_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAMTAL_TEST_TG_TOKEN", TOKEN)
    assert read_token(_settings(tmp_path)) == TOKEN


def test_a_private_file_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SAMTAL_TEST_TG_TOKEN", raising=False)
    settings = _settings(tmp_path)
    assert settings.token_file is not None
    settings.token_file.parent.mkdir(parents=True)
    settings.token_file.write_text(TOKEN + "\n")
    settings.token_file.chmod(0o600)
    assert read_token(settings) == TOKEN


def test_a_file_others_can_read_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SAMTAL_TEST_TG_TOKEN", raising=False)
    settings = _settings(tmp_path)
    assert settings.token_file is not None
    settings.token_file.parent.mkdir(parents=True)
    settings.token_file.write_text(TOKEN)
    settings.token_file.chmod(0o644)
    with pytest.raises(ConfigError, match="chmod 600") as refused:
        read_token(settings)
    assert TOKEN not in str(refused.value)


def test_a_missing_token_says_where_to_put_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SAMTAL_TEST_TG_TOKEN", raising=False)
    with pytest.raises(ConfigError, match="SAMTAL_TEST_TG_TOKEN"):
        read_token(_settings(tmp_path))


def test_a_malformed_token_is_refused_without_repeating_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong = "not-a-token-but-a-secret-someone-pasted"
    monkeypatch.setenv("SAMTAL_TEST_TG_TOKEN", wrong)
    with pytest.raises(ConfigError, match="BotFather") as refused:
        read_token(_settings(tmp_path))
    assert wrong not in str(refused.value)
