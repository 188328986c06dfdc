"""One gateway per state directory.

Two gateways on the same state would answer as the same bot, on the same
device, from two crypto stores that drift apart. The gateway holds an exclusive
``flock`` on a file in its state directory for as long as it lives; the kernel
releases it when the process ends, however it ends, so a crash leaves no stale
lock (unlike a pid file, whose pid can be reused).
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from bot.errors import SamtalError


class AlreadyRunning(SamtalError):
    """Another process holds the state directory."""


class InstanceLock:
    def __init__(self, path: Path) -> None:
        self._path = path
        self._fd: int | None = None

    def acquire(self) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise AlreadyRunning(f"a gateway is already running on {self._path.parent}") from None
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the flock
            self._fd = None

    def __enter__(self) -> InstanceLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def is_held(path: Path) -> bool:
    """True while a live process holds the lock (for commands that must not run
    beside the gateway)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def gateway_lock_path(home: Path) -> Path:
    return home / "gateway" / "gateway.lock"
