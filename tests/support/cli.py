"""Run the `samtal` command the way an operator does: a separate process."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]


def run_samtal(
    home: Path, *args: str, env: Mapping[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli.main", *args],
        cwd=PROJECT,
        env={**os.environ, "SAMTAL_HOME": str(home), **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
