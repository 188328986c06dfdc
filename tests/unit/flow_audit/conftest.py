"""A copy of the project's dialogue files that a test may break."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[3]
COPIED = ("dialogues", "nlu_data", "tests/nlu_heldout")


@pytest.fixture
def dialogue_copy(tmp_path: Path) -> Path:
    for name in COPIED:
        shutil.copytree(
            PROJECT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__")
        )
    return tmp_path
