"""Private file helpers: everything the homeserver writes is 0600, every directory 0700."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700


def ensure_private_dir(path: Path) -> None:
    """Create ``path`` (and parents) if needed and restrict it to its owner."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    path.chmod(DIR_MODE)


def write_private_text(path: Path, text: str) -> None:
    """Atomically replace ``path`` with ``text``; the file is 0600 from its first byte."""
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, FILE_MODE)
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def create_private_text(path: Path, text: str) -> bool:
    """Create ``path`` holding ``text`` with mode 0600 unless it already exists.

    Returns True when the file was created, False when it was already there.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    return True


def restrict_tree(root: Path) -> None:
    """Make every directory under ``root`` 0700 and every regular file 0600."""
    root.chmod(DIR_MODE)
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames:
            Path(dirpath, name).chmod(DIR_MODE)
        for name in filenames:
            file_path = Path(dirpath, name)
            if file_path.is_file() and not file_path.is_symlink():
                file_path.chmod(FILE_MODE)
