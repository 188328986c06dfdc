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


class UnknownKekError(StoreError):
    """A data key is wrapped under a key-encryption key this process does not hold."""


class MigrationError(StoreError):
    """The database schema is newer than this code, or a migration failed."""


class RotationError(StoreError):
    """Key rotation stopped; running it again resumes where it stopped."""


class AuditError(SamtalError):
    """The audit trail could not be written or read."""


class AuditTamperedError(AuditError):
    """The audit chain or its signed head does not verify."""


class ConsentError(SamtalError):
    """A consent decision or consent text is not valid."""
