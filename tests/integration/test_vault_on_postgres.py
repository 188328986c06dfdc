"""A deployment's vault on PostgreSQL: the URL comes from SAMTAL_VAULT_URL, and the
operator commands use it instead of the local SQLite file."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from bot.config import load_config
from bot.ids import participant_code
from bot.launcher.layout import StackLayout, write_gateway_config
from bot.launcher.stack import TEST_ACK_SECONDS
from bot.state.participants import ParticipantRegistry
from bot.vault_access import open_configured_vault
from tests.support.cli import run_samtal
from tests.support.postgres_fixtures import RunningPostgres

pytestmark = pytest.mark.integration

PARTICIPANT = "@pg-participant:localhost"


def samtal(home: Path, vault_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return run_samtal(home, *args, env={"SAMTAL_VAULT_URL": vault_url})


def configured_home(tmp_path: Path) -> StackLayout:
    """A state directory with a gateway config and its secrets, and no vault yet."""
    layout = StackLayout(tmp_path / "home")
    layout.secret("pickle.key")
    layout.secret("rasa.token")
    write_gateway_config(
        layout,
        homeserver_url="http://127.0.0.1:8008",
        bot_user_id="@samtal:localhost",
        mediators=["@mediator:localhost"],
        on_call=["@jour:localhost"],
        supervisors=["@handledare:localhost"],
        rasa_url="http://127.0.0.1:5005",
        ack_seconds=TEST_ACK_SECONDS,
        quiet_hours=None,
    )
    return layout


def test_enrol_and_export_through_a_postgresql_vault(
    postgres_server: RunningPostgres, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    layout = configured_home(tmp_path)
    url = postgres_server.new_database("gateway")
    enrolled = samtal(layout.home, url, "enroll", PARTICIPANT, "--lang", "en")
    assert enrolled.returncode == 0, enrolled.stderr
    # Nothing went to the local SQLite vault, and the password is in no output.
    assert not (layout.home / "gateway" / "vault.db").exists()
    assert postgres_server.password not in enrolled.stdout + enrolled.stderr

    monkeypatch.setenv("SAMTAL_VAULT_URL", url)
    config = load_config(layout.gateway_config, layout.home)
    assert config.vault_url == url
    vault = open_configured_vault(config)
    try:
        registry = ParticipantRegistry(vault)
        participant = registry.find(PARTICIPANT)
        assert participant is not None and participant.language == "en"
        code = participant_code(participant.pseudonym)
    finally:
        vault.close()

    out = tmp_path / "export.json"
    exported = samtal(layout.home, url, "export", code, "--out", str(out))
    assert exported.returncode == 0, exported.stderr
    assert PARTICIPANT in out.read_text()
    assert json.loads(out.read_text())


def test_a_vault_url_of_another_kind_is_refused(tmp_path: Path) -> None:
    layout = configured_home(tmp_path)
    refused = samtal(
        layout.home, "mysql://root@127.0.0.1/vault", "enroll", PARTICIPANT, "--lang", "en"
    )
    assert refused.returncode != 0
    assert "vault URL must be" in refused.stderr


def test_the_console_command_says_the_console_is_off_and_names_no_secret(
    postgres_server: RunningPostgres, tmp_path: Path
) -> None:
    # The console runs inside the gateway; the command only says where, and
    # a configuration without a console port has none.
    layout = configured_home(tmp_path)
    refused = samtal(layout.home, postgres_server.new_database("empty"), "console")
    assert refused.returncode != 0
    assert "console is off" in refused.stderr
    assert postgres_server.password not in refused.stdout + refused.stderr
