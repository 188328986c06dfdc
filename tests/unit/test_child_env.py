"""Synapse and Rasa never inherit samtal's secrets; the gateway does."""

from __future__ import annotations

import pytest

from bot.launcher.child_env import SECRET_VARIABLES, child_env


def test_secrets_are_left_out_unless_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in SECRET_VARIABLES:
        monkeypatch.setenv(name, f"secret-{name}")
    monkeypatch.setenv("SAMTAL_HOME", "/srv/samtal")
    plain = child_env({"RASA_TELEMETRY_ENABLED": "false"})
    assert not SECRET_VARIABLES & plain.keys()
    assert plain["SAMTAL_HOME"] == "/srv/samtal" and plain["RASA_TELEMETRY_ENABLED"] == "false"
    kept = child_env(keep_secrets=True)
    assert kept["SAMTAL_VAULT_URL"] == "secret-SAMTAL_VAULT_URL"
