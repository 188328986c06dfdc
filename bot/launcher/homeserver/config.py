"""Generate and patch a loopback-only, SQLite-backed Synapse configuration."""

from __future__ import annotations

import secrets
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.launcher.homeserver._files import (
    create_private_text,
    ensure_private_dir,
    restrict_tree,
    write_private_text,
)
from bot.launcher.homeserver.errors import HomeserverConfigError
from bot.launcher.homeserver.interpreter import synapse_python
from bot.launcher.homeserver.settings import (
    TEST_BCRYPT_ROUNDS,
    log_config,
    rate_limit_top_keys,
    test_rate_limits,
)

__all__ = ["HomeserverLayout", "write_homeserver_config"]

_GENERATE_TIMEOUT_S = 120.0
_HEADER = (
    "# Written by bot.launcher.homeserver; edits to managed keys are overwritten on each run.\n"
)


@dataclass(frozen=True)
class HomeserverLayout:
    """Where an embedded homeserver keeps its files and where it listens."""

    config_path: Path
    data_dir: Path
    base_url: str
    server_name: str
    port: int
    registration_secret_path: Path
    log_config_path: Path
    log_path: Path
    output_path: Path

    def read_registration_secret(self) -> str:
        """The shared secret for ``/_synapse/admin/v1/register``."""
        return self.registration_secret_path.read_text(encoding="utf-8").strip()


def write_homeserver_config(
    data_dir: Path, *, server_name: str = "localhost", port: int, for_tests: bool
) -> HomeserverLayout:
    """Create (once) and patch the Synapse config under ``data_dir``.

    The first call runs Synapse's own ``--generate-config`` (signing key, macaroon and
    form secrets). Later calls keep those files and the registration secret and only
    re-apply the managed settings, so a new ``port`` or ``for_tests`` value takes effect.
    """
    if not 0 < port < 65536:
        raise HomeserverConfigError(f"port out of range: {port}")
    data_dir = data_dir.resolve()
    ensure_private_dir(data_dir)
    layout = HomeserverLayout(
        config_path=data_dir / "homeserver.yaml",
        data_dir=data_dir,
        base_url=f"http://127.0.0.1:{port}",
        server_name=server_name,
        port=port,
        registration_secret_path=data_dir / "registration_shared_secret",
        log_config_path=data_dir / f"{server_name}.log.config",
        log_path=data_dir / "homeserver.log",
        output_path=data_dir / "synapse.out",
    )
    if not layout.config_path.exists():
        _generate(layout)
    config = _load(layout.config_path)
    if config.get("server_name") != server_name:
        raise HomeserverConfigError(
            f"{layout.config_path} was generated for another server name; "
            "a homeserver cannot be renamed, use a fresh data directory"
        )
    create_private_text(layout.registration_secret_path, secrets.token_urlsafe(48) + "\n")
    write_private_text(
        layout.log_config_path, yaml.safe_dump(log_config(layout.log_path), sort_keys=False)
    )
    _patch(config, layout, for_tests=for_tests)
    write_private_text(layout.config_path, _HEADER + yaml.safe_dump(config, sort_keys=False))
    restrict_tree(data_dir)
    return layout


def _generate(layout: HomeserverLayout) -> None:
    command = [
        str(synapse_python()),
        "-m",
        "synapse.app.homeserver",
        "--server-name",
        layout.server_name,
        "--config-path",
        str(layout.config_path),
        "--data-directory",
        str(layout.data_dir),
        "--generate-config",
        "--report-stats=no",
    ]
    try:
        result = subprocess.run(
            command,
            cwd=layout.data_dir,
            capture_output=True,
            text=True,
            timeout=_GENERATE_TIMEOUT_S,
            umask=0o077,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise HomeserverConfigError(f"could not run Synapse config generation: {exc}") from exc
    if result.returncode != 0 or not layout.config_path.exists():
        tail = "\n".join((result.stdout + result.stderr).splitlines()[-20:])
        raise HomeserverConfigError(
            f"Synapse config generation failed (exit {result.returncode}):\n{tail}"
        )


def _load(path: Path) -> dict[str, Any]:
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise HomeserverConfigError(f"cannot read {path}: {exc}") from exc
    if not isinstance(loaded, dict):
        raise HomeserverConfigError(f"{path} is not a YAML mapping")
    return loaded


def _patch(config: dict[str, Any], layout: HomeserverLayout, *, for_tests: bool) -> None:
    data_dir = layout.data_dir
    config.pop("registration_shared_secret", None)  # inline secret; we use a 0600 file
    config.update(
        {
            "pid_file": str(data_dir / "homeserver.pid"),
            "public_baseurl": layout.base_url + "/",
            "listeners": [
                {
                    "port": layout.port,
                    "bind_addresses": ["127.0.0.1"],
                    "type": "http",
                    "tls": False,
                    "x_forwarded": False,
                    "resources": [{"names": ["client"], "compress": False}],
                }
            ],
            "database": {"name": "sqlite3", "args": {"database": str(data_dir / "homeserver.db")}},
            "media_store_path": str(data_dir / "media_store"),
            "log_config": str(layout.log_config_path),
            "registration_shared_secret_path": str(layout.registration_secret_path),
            "enable_registration": False,
            "allow_guest_access": False,
            "trusted_key_servers": [],
            "suppress_key_server_warning": True,
            "federation_domain_whitelist": [],
            "presence": {"enabled": False},
            "url_preview_enabled": False,
            "report_stats": False,
            "enable_metrics": False,
        }
    )
    for key in rate_limit_top_keys():
        config.pop(key, None)
    config.pop("bcrypt_rounds", None)
    if for_tests:
        config.update(test_rate_limits())
        config["bcrypt_rounds"] = TEST_BCRYPT_ROUNDS
