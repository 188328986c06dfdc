"""EncryptedTrackerStore inside Rasa's own classes, run in .venv-rasa (see rasa_side.py)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from bot.launcher.rasa import RasaPaths, rasa_env
from tests.support.redis_fixtures import RunningRedis, redis_server  # noqa: F401

PROJECT = Path(__file__).resolve().parents[3]


def test_rasa_side_checks(tmp_path: Path, redis_server: RunningRedis) -> None:  # noqa: F811
    python = RasaPaths.default(PROJECT).python
    redis = f"{redis_server.host}:{redis_server.port}:{redis_server.password}"
    result = subprocess.run(
        [str(python), "-m", "tests.unit.tracker_store.rasa_side", str(tmp_path)],
        cwd=PROJECT,
        env={**os.environ, **rasa_env(tmp_path), "SAMTAL_TEST_REDIS": redis},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "rasa-side checks passed" in result.stdout
