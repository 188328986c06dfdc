"""The generated Synapse config is loopback-only, private, and test-friendly on demand."""

from __future__ import annotations

import json
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.launcher.homeserver import (
    HomeserverConfigError,
    HomeserverLayout,
    synapse_python,
    write_homeserver_config,
)
from bot.launcher.homeserver.settings import TEST_RATE_LIMIT_KEYS

# Parse the config with Synapse itself and print the rate limits it ends up with.
_SYNAPSE_READ = """
import json, sys
from synapse.config.homeserver import HomeServerConfig
config = HomeServerConfig.load_config("", ["-c", sys.argv[1]])
rl = config.ratelimiting
out = {name: [getattr(rl, name).per_second, getattr(rl, name).burst_count]
       for name in dir(rl) if name.startswith("rc_") and hasattr(getattr(rl, name), "burst_count")}
out["_listeners"] = [[l.bind_addresses if hasattr(l, "bind_addresses") else None, l.port]
                     for l in config.server.listeners]
out["_secret_set"] = bool(config.registration.registration_shared_secret)
out["_bcrypt_rounds"] = config.registration.bcrypt_rounds
print(json.dumps(out))
"""


def _load(path: Path) -> dict[str, Any]:
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def _synapse_view(layout: HomeserverLayout) -> dict[str, Any]:
    result = subprocess.run(
        [str(synapse_python()), "-c", _SYNAPSE_READ, str(layout.config_path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    view: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return view


@pytest.fixture(scope="module")
def test_layout(tmp_path_factory: pytest.TempPathFactory) -> HomeserverLayout:
    data_dir = tmp_path_factory.mktemp("hs") / "synapse"
    return write_homeserver_config(data_dir, port=18448, for_tests=True)


def test_listener_is_loopback_client_only(test_layout: HomeserverLayout) -> None:
    config = _load(test_layout.config_path)
    assert test_layout.base_url == "http://127.0.0.1:18448"
    assert config["listeners"] == [
        {
            "port": 18448,
            "bind_addresses": ["127.0.0.1"],
            "type": "http",
            "tls": False,
            "x_forwarded": False,
            "resources": [{"names": ["client"], "compress": False}],
        }
    ]
    assert config["trusted_key_servers"] == []
    assert config["suppress_key_server_warning"] is True
    assert config["federation_domain_whitelist"] == []
    assert config["enable_registration"] is False
    assert config["presence"] == {"enabled": False}
    assert config["url_preview_enabled"] is False
    assert config["report_stats"] is False
    assert config["enable_metrics"] is False


def test_storage_and_secrets_live_under_data_dir(test_layout: HomeserverLayout) -> None:
    config = _load(test_layout.config_path)
    data_dir = test_layout.data_dir
    assert config["database"]["name"] == "sqlite3"
    assert Path(config["database"]["args"]["database"]).parent == data_dir
    assert Path(config["media_store_path"]).parent == data_dir
    assert Path(config["signing_key_path"]).parent == data_dir
    assert "registration_shared_secret" not in config
    assert Path(config["registration_shared_secret_path"]) == test_layout.registration_secret_path
    assert len(test_layout.read_registration_secret()) >= 32


def test_every_file_is_private(test_layout: HomeserverLayout) -> None:
    assert stat.S_IMODE(test_layout.data_dir.stat().st_mode) == 0o700
    paths = list(test_layout.data_dir.rglob("*"))
    assert test_layout.registration_secret_path in paths
    for path in paths:
        expected = 0o700 if path.is_dir() else 0o600
        assert stat.S_IMODE(path.stat().st_mode) == expected, path


def test_log_config_is_warning_level_file_only(test_layout: HomeserverLayout) -> None:
    log_config = _load(test_layout.log_config_path)
    assert _load(test_layout.config_path)["log_config"] == str(test_layout.log_config_path)
    assert log_config["root"] == {"level": "WARNING", "handlers": ["file"]}
    assert set(log_config["handlers"]) == {"file"}
    assert log_config["handlers"]["file"]["class"] == "logging.FileHandler"
    assert Path(log_config["handlers"]["file"]["filename"]) == test_layout.log_path
    assert log_config["loggers"]["synapse.access"]["level"] == "CRITICAL"


def test_test_server_keeps_make_run_rate_limits(
    test_layout: HomeserverLayout, tmp_path: Path
) -> None:
    """The bot meets the same limits in tests as under `make run`; only per-IP login is lifted."""
    view = _synapse_view(test_layout)
    assert view["_listeners"] == [[["127.0.0.1"], 18448]]
    assert view["_secret_set"] is True
    assert view["_bcrypt_rounds"] == 4
    run_view = _synapse_view(write_homeserver_config(tmp_path / "run", port=18449, for_tests=False))
    limiters = {name for name in view if name.startswith("rc_")}
    assert limiters == {name for name in run_view if name.startswith("rc_")}
    assert "rc_message" in limiters
    lifted = {name for name in limiters if view[name] != run_view[name]}
    assert lifted == {key.replace(".", "_") for key in TEST_RATE_LIMIT_KEYS} == {"rc_login_address"}
    # Synapse's defaults, as the bot meets them under `make run`.
    assert run_view["rc_message"] == [0.2, 10]
    per_second, burst = view["rc_login_address"]
    assert per_second >= 1000 and burst >= 10_000


def test_rerun_keeps_secrets_and_updates_port(tmp_path: Path) -> None:
    data_dir = tmp_path / "synapse"
    first = write_homeserver_config(data_dir, port=18500, for_tests=True)
    secret = first.read_registration_secret()
    before = _load(first.config_path)
    signing_key = Path(before["signing_key_path"]).read_bytes()

    second = write_homeserver_config(data_dir, port=18501, for_tests=False)
    after = _load(second.config_path)
    assert second.read_registration_secret() == secret
    assert second.base_url == "http://127.0.0.1:18501"
    assert after["listeners"][0]["port"] == 18501
    assert after["macaroon_secret_key"] == before["macaroon_secret_key"]
    assert after["form_secret"] == before["form_secret"]
    assert Path(after["signing_key_path"]).read_bytes() == signing_key
    assert not any(key.startswith("rc_") for key in after)
    assert "bcrypt_rounds" not in after
    assert stat.S_IMODE(second.registration_secret_path.stat().st_mode) == 0o600

    with pytest.raises(HomeserverConfigError):
        write_homeserver_config(data_dir, server_name="other.test", port=18502, for_tests=False)
