"""What a child process inherits: the environment minus samtal's secrets.

Secrets may come from environment variables (docs/operations.md). Only the
gateway reads them; Synapse, Rasa and the action server never need them, so
they never see them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

SECRET_VARIABLES = frozenset(
    {"SAMTAL_VAULT_URL", "SAMTAL_PICKLE_KEY", "SAMTAL_RASA_TOKEN", "SAMTAL_BOT_PASSWORD"}
)


def child_env(
    extra: Mapping[str, str] | None = None, *, keep_secrets: bool = False
) -> dict[str, str]:
    inherited = {
        name: value
        for name, value in os.environ.items()
        if keep_secrets or name not in SECRET_VARIABLES
    }
    return {**inherited, **(extra or {})}
