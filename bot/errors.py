"""Gateway errors, rooted in the shared samtal exception tree."""

from __future__ import annotations

from safety.errors import ConfigError, SamtalError, StoreError

__all__ = ["ConfigError", "MatrixCallError", "RasaUnavailable", "SamtalError", "StoreError"]


class MatrixCallError(SamtalError):
    """The homeserver answered a call with an error response."""

    def __init__(self, call: str, status: str, detail: str) -> None:
        super().__init__(f"{call} failed: {status} {detail}")
        self.call = call
        self.status = status


class RasaUnavailable(SamtalError):
    """Rasa did not answer, or answered with something unusable."""
