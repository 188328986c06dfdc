"""Children that end when the launcher ends, however it ends.

A clean stop sends every child SIGTERM. But a launcher killed with SIGKILL, or
one that crashes, runs no clean-up, and its children would live on as orphans
holding ports, the vault and the homeserver's database. On Linux, each child
asks the kernel for SIGTERM when its parent dies (``PR_SET_PDEATHSIG``).
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from collections.abc import Callable

_PR_SET_PDEATHSIG = 1


def _load_prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl: Callable[..., int] = ctypes.CDLL(None, use_errno=True).prctl
        return prctl
    except (OSError, AttributeError):
        return None


# Looked up before any fork: the child may not import or allocate much.
_PRCTL = _load_prctl()


def end_with_parent() -> Callable[[], None] | None:
    """A ``preexec_fn`` that ties the child's life to this process, or None
    where the platform cannot (the clean stop still applies there)."""
    if _PRCTL is None:
        return None
    parent = os.getpid()
    prctl = _PRCTL

    def tie() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        # The parent may have died between fork and prctl; then no signal would come.
        if os.getppid() != parent:
            os.kill(os.getpid(), signal.SIGTERM)

    return tie
