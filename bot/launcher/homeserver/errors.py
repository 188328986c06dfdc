"""Exceptions raised by the embedded homeserver package.

``HomeserverError`` roots this small tree in the project-wide ``SamtalError``, so
``samtal run`` reports a refused start in one line instead of a traceback.
"""

from __future__ import annotations

from safety.errors import SamtalError

__all__ = [
    "AdminApiError",
    "HomeserverConfigError",
    "HomeserverError",
    "HomeserverStartError",
    "RateLimitOverrideError",
    "UserExists",
]


class HomeserverError(SamtalError):
    """Base class for every error raised by ``bot.launcher.homeserver``."""


class HomeserverConfigError(HomeserverError):
    """Generating, reading or patching the Synapse configuration failed."""


class HomeserverStartError(HomeserverError):
    """Synapse exited early or did not answer in time.

    The message carries the tail of Synapse's own output, which is logged at WARNING
    level only and therefore holds no request lines or Matrix ids.
    """


class AdminApiError(HomeserverError):
    """The Synapse admin API answered with an error.

    Only the HTTP status, the Matrix ``errcode`` and Synapse's error text are kept;
    never a password, a token or the user id asked for.
    """

    def __init__(self, status: int, errcode: str, error: str) -> None:
        super().__init__(f"admin API error {status} {errcode}: {error}")
        self.status = status
        self.errcode = errcode
        self.error = error


class UserExists(AdminApiError):
    """Registration failed with ``M_USER_IN_USE``; log the user in instead."""


class RateLimitOverrideError(HomeserverError):
    """Synapse did not keep the rate-limit exemption it was asked for."""
