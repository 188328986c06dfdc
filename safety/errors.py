"""The exception tree shared by every samtal component."""

from __future__ import annotations


class SamtalError(Exception):
    """Root of every error samtal raises on purpose."""


class ConfigError(SamtalError):
    """Configuration is missing, malformed or insecure."""


class KeyFileError(ConfigError):
    """A key file is missing, malformed or readable by others."""


class StoreError(SamtalError):
    """The encrypted store could not complete an operation."""


class ShreddedError(StoreError):
    """The owner's data key was destroyed; their records cannot be read."""
