"""Checking the shared token on loopback requests (no Rasa imports)."""

from __future__ import annotations

import hmac
from typing import Protocol


class _Request(Protocol):
    @property
    def headers(self) -> object: ...

    @property
    def args(self) -> object: ...


def presented_token(request: _Request) -> str:
    """The token a request carries: a bearer header, or the ``token`` query
    parameter that Rasa itself uses for its HTTP API and action endpoint."""
    header = str(request.headers.get("Authorization", ""))  # type: ignore[attr-defined]
    if header.startswith("Bearer "):
        return header[len("Bearer ") :].strip()
    return str(request.args.get("token", ""))  # type: ignore[attr-defined]


def token_matches(presented: str, expected: str) -> bool:
    # An empty expected token would let an empty presented one through.
    return bool(expected) and hmac.compare_digest(presented.encode(), expected.encode())


def read_token(path: str) -> str:
    with open(path, encoding="utf-8") as handle:
        token = handle.read().strip()
    if not token:
        raise ValueError(f"empty token file: {path}")
    return token
