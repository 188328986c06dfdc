"""Train (when the data changed) and start the Rasa server and action server.

Both run from .venv-rasa through ``rasa_runtime.launch``, which switches off
telemetry and outside error reporting. The server binds to loopback, requires
the auth token, and logs at INFO (Rasa logs message text only at DEBUG).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.errors import SamtalError
from bot.launcher.child_env import child_env
from bot.launcher.layout import StackLayout
from bot.launcher.parent_death import end_with_parent
from bot.launcher.processes import ManagedProcess
from safety.private_files import write_private

TRAINING_INPUTS = ("config.yml", "dialogues", "nlu_data")
ACTIONS_TOKEN = "actions.token"  # noqa: S105 - the name of its file in secrets/
REST_CHANNEL = "rasa_runtime.rest_channel.TokenRestInput"


class TrainingFailed(SamtalError):
    """rasa train did not produce a model."""


@dataclass(frozen=True)
class RasaPaths:
    project: Path
    python: Path
    cache_dir: Path

    @classmethod
    def default(cls, project: Path) -> RasaPaths:
        cache = Path(os.environ.get("SAMTAL_CACHE", Path.home() / ".cache" / "samtal"))
        return cls(
            project=project,
            python=project / ".venv-rasa" / "bin" / "python",
            cache_dir=cache / "models",
        )


def training_data_hash(project: Path) -> str:
    """A hash over every file that shapes the trained model."""
    digest = hashlib.sha256()
    for name in TRAINING_INPUTS:
        root = project / name
        files = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else [root]
        for path in files:
            if path.suffix not in (".yml", ".yaml") or "__pycache__" in path.parts:
                continue
            digest.update(str(path.relative_to(project)).encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    lock = project / "requirements" / "rasa.lock"
    if lock.exists():
        digest.update(lock.read_bytes())
    return digest.hexdigest()[:20]


def rasa_env(home: Path) -> dict[str, str]:
    return {
        "RASA_TELEMETRY_ENABLED": "false",
        # Never an inherited DEBUG: Rasa logs message text there (the launch
        # module enforces the same).
        "LOG_LEVEL": "INFO",
        "LOG_LEVEL_LIBRARIES": "ERROR",
        # rasa-sdk binds every interface unless told otherwise.
        "SANIC_HOST": "127.0.0.1",
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "PYTHONWARNINGS": "ignore",
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
        "RASA_CACHE_DIRECTORY": str(home / "rasa-cache"),
        "HOME": str(home / "rasa-home"),
    }


def ensure_model(paths: RasaPaths, home: Path) -> tuple[Path, float]:
    """Return the model for the current data, training it only if needed."""
    model = paths.cache_dir / f"samtal-{training_data_hash(paths.project)}.tar.gz"
    if model.exists():
        return model, 0.0
    paths.cache_dir.mkdir(parents=True, exist_ok=True)
    workdir = home / "training"
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    started = time.monotonic()
    result = subprocess.run(
        [
            str(paths.python),
            "-m",
            "rasa_runtime.launch",
            "train",
            "--data",
            "dialogues",
            "nlu_data",
            "--domain",
            "dialogues",
            "--config",
            "config.yml",
            "--out",
            str(workdir),
            "--fixed-model-name",
            "model",
            "--quiet",
        ],
        cwd=paths.project,
        env=child_env(rasa_env(home)),
        capture_output=True,
        text=True,
        check=False,
        preexec_fn=end_with_parent(),
    )
    trained = workdir / "model.tar.gz"
    if result.returncode != 0 or not trained.exists():
        raise TrainingFailed(f"rasa train failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    partial = model.with_suffix(f".partial-{os.getpid()}")
    shutil.copyfile(trained, partial)
    os.replace(partial, model)  # atomic: a concurrent reader never sees half a model
    return model, time.monotonic() - started


def action_token_file(home: Path) -> Path:
    """The action server's own token (not the Rasa API's), 0600, made once."""
    return StackLayout(home).secret(ACTIONS_TOKEN)


def write_credentials(home: Path, token_file: Path) -> Path:
    """Rasa's credentials.yml: only the REST channel that asks for the token."""
    path = home / "rasa-credentials.yml"
    credentials = yaml.safe_dump({REST_CHANNEL: {"token_file": str(token_file)}})
    write_private(path, "# Written by samtal's launcher.\n" + credentials)
    return path


def write_endpoints(
    home: Path,
    action_port: int,
    *,
    actions_home: Path | None = None,
    vault_url: str | None = None,
    lock_store: dict[str, object] | None = None,
) -> Path:
    """Rasa's endpoints.yml: actions, and trackers sealed in the gateway's vault.

    The tracker store shares the gateway's vault (SQLite in WAL mode by default,
    or ``vault_url``) and its KEK file, so shredding a participant in the
    gateway also makes their Rasa tracker unreadable. ``lock_store`` (for
    example ``{"type": "redis", "url": "127.0.0.1", "port": 6379}``) lets
    several Rasa servers share one conversation.
    """

    from safety.vault import load_or_create_key_file

    path = home / "rasa" / "endpoints.yml"
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    kek = home / "secrets" / "kek.hex"
    load_or_create_key_file(kek, create=True)  # the gateway's KEK; 0600, made once
    endpoints: dict[str, object] = {
        "action_endpoint": {
            "url": f"http://127.0.0.1:{action_port}/webhook",
            # The action server refuses requests without it (rasa_runtime.launch).
            "token": action_token_file(actions_home or home).read_text().strip(),
        },
        "tracker_store": {
            "type": "safety.tracker_store.EncryptedTrackerStore",
            "url": vault_url or f"sqlite:///{home / 'gateway' / 'vault.db'}",
            "key_file": str(kek),
        },
    }
    if lock_store is not None:
        endpoints["lock_store"] = dict(lock_store)
    # 0600 from the start: a PostgreSQL URL can carry a password.
    write_private(
        path, "# Written by samtal's launcher.\n" + yaml.safe_dump(endpoints, sort_keys=False)
    )
    return path


def action_server(paths: RasaPaths, home: Path, port: int) -> ManagedProcess:
    token_file = action_token_file(home)
    return ManagedProcess(
        "action-server",
        [
            str(paths.python),
            "-m",
            "rasa_runtime.launch",
            "run",
            "actions",
            "--actions",
            "dialogues.actions",
            "--port",
            str(port),
            "--auth-token-file",
            str(token_file),
        ],
        home / "logs" / "actions.log",
        cwd=paths.project,
        env=rasa_env(home),
    )


def rasa_server(
    paths: RasaPaths,
    home: Path,
    model: Path,
    port: int,
    action_port: int,
    token_file: Path,
    vault_url: str | None = None,
    *,
    actions_home: Path | None = None,
) -> ManagedProcess:
    """``actions_home`` is where the action server keeps its token, if not ``home``."""
    # Rasa's trackers go into the gateway's vault, whichever it is, so shredding a
    # participant there also makes their conversation unreadable.
    endpoints = write_endpoints(home, action_port, actions_home=actions_home, vault_url=vault_url)
    return ManagedProcess(
        "rasa",
        [
            str(paths.python),
            "-m",
            "rasa_runtime.launch",
            "run",
            "--enable-api",
            "--auth-token-file",
            str(token_file),
            "--interface",
            "127.0.0.1",
            "--port",
            str(port),
            "--model",
            str(model),
            "--endpoints",
            str(endpoints),
            "--credentials",
            str(write_credentials(home, token_file)),
        ],
        home / "logs" / "rasa.log",
        cwd=paths.project,
        env=rasa_env(home),
    )
