"""Private files are 0600 from their first byte, whole or not at all."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from safety.private_files import create_private, write_private


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_replaced_file_is_private_and_whole_and_leaves_no_scratch(tmp_path: Path) -> None:
    target = tmp_path / "secret"
    target.write_text("old")
    target.chmod(0o644)
    write_private(target, "new")
    assert target.read_text() == "new" and mode(target) == 0o600
    write_private(target, b"\x00bytes")
    assert target.read_bytes() == b"\x00bytes"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["secret"]


def test_a_failed_write_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "login.json"
    write_private(target, "old")

    def no_disk(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", no_disk)
    with pytest.raises(OSError):
        write_private(target, "new")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["login.json"]


def test_create_never_overwrites_and_never_follows_a_planted_link(tmp_path: Path) -> None:
    key = tmp_path / "kek.hex"
    assert create_private(key, "first") is True
    assert mode(key) == 0o600
    assert create_private(key, "second") is False
    assert key.read_text() == "first"
    elsewhere = tmp_path / "elsewhere"
    planted = tmp_path / "planted"
    planted.symlink_to(elsewhere)
    assert create_private(planted, "secret") is False
    assert not elsewhere.exists()
