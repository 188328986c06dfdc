"""nio returns error responses instead of raising; never let one pass silently."""

from __future__ import annotations

from typing import TypeVar

from nio import ErrorResponse

from bot.errors import MatrixCallError

T = TypeVar("T")


def checked(call: str, response: T | ErrorResponse) -> T:
    """Return ``response``, or raise :class:`MatrixCallError` if it is an error."""
    if isinstance(response, ErrorResponse):
        raise MatrixCallError(call, str(response.status_code or ""), _short(response.message))
    return response


def _short(message: str | None) -> str:
    # Error messages can echo ids from the request; keep them out of logs.
    from bot.logs import scrub

    return scrub(message or "")[:120]
