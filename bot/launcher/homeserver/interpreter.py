"""Which Python runs the embedded Synapse.

Synapse and its dependencies (Twisted, treq, pydantic, ...) live in their own
environment, ``.venv-synapse`` in the checkout (``make setup`` builds it from
``requirements/synapse.lock``), so the gateway's ``.venv`` holds only what the
gateway itself runs. ``SAMTAL_SYNAPSE_PYTHON`` names another interpreter.
"""

from __future__ import annotations

import os
from pathlib import Path

from bot.launcher.homeserver.errors import HomeserverConfigError

__all__ = ["SYNAPSE_PYTHON_ENV", "synapse_python"]

SYNAPSE_PYTHON_ENV = "SAMTAL_SYNAPSE_PYTHON"
# bot/launcher/homeserver/interpreter.py -> the checkout (the project is installed editable).
_PROJECT = Path(__file__).resolve().parents[3]


def synapse_python() -> Path:
    """The interpreter of Synapse's environment; refuse clearly when it is missing."""
    configured = os.environ.get(SYNAPSE_PYTHON_ENV)
    python = Path(configured) if configured else _PROJECT / ".venv-synapse" / "bin" / "python"
    if not python.exists():
        where = f"{SYNAPSE_PYTHON_ENV}={configured}" if configured else str(python)
        raise HomeserverConfigError(
            f"no Python for Synapse at {where}: run `make setup`, which builds "
            f".venv-synapse from requirements/synapse.lock (or set {SYNAPSE_PYTHON_ENV})"
        )
    return python
