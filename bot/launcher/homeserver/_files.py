"""Private file helpers: everything the homeserver writes is 0600, every directory 0700."""

from __future__ import annotations

import os
from pathlib import Path

from safety.private_files import DIR_MODE, FILE_MODE, create_private, ensure_private_dir
from safety.private_files import write_private as write_private_text

__all__ = [
    "DIR_MODE",
    "FILE_MODE",
    "create_private_text",
    "ensure_private_dir",
    "restrict_tree",
    "write_private_text",
]


def create_private_text(path: Path, text: str) -> bool:
    """Create ``path`` holding ``text``, 0600, unless it already exists."""
    return create_private(path, text)


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
