"""Gateway errors, rooted in the shared samtal exception tree."""

from __future__ import annotations

from safety.errors import ConfigError, SamtalError, StoreError

__all__ = [
    "ConfigError",
    "CredentialsRefused",
    "MatrixCallError",
    "ParticipantUnreachable",
    "RasaUnavailable",
    "SamtalError",
    "StoreError",
    "TransportError",
]


class TransportError(SamtalError):
    """A messenger refused a call, or it could not be made. ``status`` is a short
    code, never the messenger's own text (which may name a person or a chat)."""

    def __init__(self, message: str, call: str, status: str) -> None:
        super().__init__(message)
        self.call = call
        self.status = status


class MatrixCallError(TransportError):
    """The homeserver answered a call with an error response."""

    def __init__(self, call: str, status: str, detail: str) -> None:
        super().__init__(f"{call} failed: {status} {detail}", call, status)


class ParticipantUnreachable(TransportError):
    """The messenger will not deliver to this person (they blocked the bot): retrying
    does not help, and their mediator should know."""

    def __init__(self, message: str, call: str) -> None:
        super().__init__(message, call, "unreachable")


class CredentialsRefused(SamtalError):
    """A messenger refused the bot's credentials (a revoked token): retrying will
    not help until an operator fixes them."""


class RasaUnavailable(SamtalError):
    """Rasa did not answer, or answered with something unusable."""
