"""Files only their owner may read, written whole or not at all.

Secrets, keys, sealed snapshots, logins and configs that may carry a password all
go through here, so each is 0600 from its first byte (never briefly wider, as a
write followed by chmod would leave it) and a crash mid-write leaves the old file,
not half a new one.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700


def _scratch(path: Path, data: str | bytes) -> str:
    """``data`` in a new 0600 file beside ``path``, flushed to disk; its name."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, scratch = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(raw)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(scratch, FILE_MODE)  # mkstemp makes 0600 already; kept explicit
    except BaseException:
        Path(scratch).unlink(missing_ok=True)
        raise
    return scratch


def write_private(path: Path, data: str | bytes) -> None:
    """Replace ``path`` atomically with ``data``: a 0600 file in the same folder,
    flushed to disk, then renamed over the old one."""
    scratch = _scratch(path, data)
    try:
        os.replace(scratch, path)
    except BaseException:
        Path(scratch).unlink(missing_ok=True)
        raise


def create_private(path: Path, data: str | bytes) -> bool:
    """Create ``path`` holding ``data``, 0600, unless something is there already
    (a file, or a symlink someone planted: it is never followed). Returns whether
    the file was created. Written to a scratch file first and linked into place,
    so a crash never leaves half a key behind."""
    if os.path.lexists(path):
        return False
    scratch = _scratch(path, data)
    try:
        os.link(scratch, path)  # fails if anything took the name meanwhile
    except FileExistsError:
        return False
    finally:
        Path(scratch).unlink(missing_ok=True)
    return True


def ensure_private_dir(path: Path) -> None:
    """Create ``path`` (and parents) if needed and restrict it to its owner."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    path.chmod(DIR_MODE)
