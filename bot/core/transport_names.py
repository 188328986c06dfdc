"""Which messenger an id belongs to, from the id alone. Pure.

Ids carry their transport (see bot/transports/port.py): Telegram's are prefixed,
Matrix ids and room ids are Matrix's own.
"""

from __future__ import annotations

TELEGRAM_PREFIX = "telegram:"


def transport_of(identifier: str) -> str:
    """``telegram`` or ``matrix``."""
    return "telegram" if identifier.startswith(TELEGRAM_PREFIX) else "matrix"
