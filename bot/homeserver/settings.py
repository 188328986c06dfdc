"""Fixed Synapse settings: the logging config and the test rate limits.

Rate-limit keys are the ones ``synapse/config/ratelimiting.py`` reads in Synapse 1.163.
Dotted keys are nested mappings (``rc_login.address`` is ``rc_login: {address: …}``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

# Effectively unlimited: ~50 users x 50 messages in a burst must never see M_LIMIT_EXCEEDED.
_UNLIMITED: dict[str, float] = {"per_second": 100_000.0, "burst_count": 1_000_000}

TEST_RATE_LIMIT_KEYS: tuple[str, ...] = (
    "rc_message",
    "rc_registration",
    "rc_registration_token_validity",
    "rc_login.address",
    "rc_login.account",
    "rc_login.failed_attempts",
    "rc_admin_redaction",
    "rc_joins.local",
    "rc_joins.remote",
    "rc_joins_per_room",
    "rc_key_requests",
    "rc_3pid_validation",
    "rc_invites.per_room",
    "rc_invites.per_user",
    "rc_invites.per_issuer",
    "rc_third_party_invite",
    "rc_media_create",
    "rc_presence.per_user",
    "rc_delayed_event_mgmt",
    "rc_room_creation",
    "rc_reports",
    "rc_user_directory",
    "rc_profile",
)

# bcrypt's minimum cost; only for throwaway test servers (login/registration get ~100x faster).
TEST_BCRYPT_ROUNDS = 4


def test_rate_limits() -> dict[str, Any]:
    """Top-level config entries that lift every client-facing rate limit."""
    result: dict[str, Any] = {}
    for dotted in TEST_RATE_LIMIT_KEYS:
        top, _, sub = dotted.partition(".")
        if sub:
            result.setdefault(top, {})[sub] = dict(_UNLIMITED)
        else:
            result[top] = dict(_UNLIMITED)
    return result


def rate_limit_top_keys() -> frozenset[str]:
    """The top-level keys ``test_rate_limits`` may set (removed again when not testing)."""
    return frozenset(key.partition(".")[0] for key in TEST_RATE_LIMIT_KEYS)


def log_config(log_path: Path) -> dict[str, Any]:
    """A stdlib ``dictConfig`` that writes WARNING and above to ``log_path`` only.

    Synapse's access log (``synapse.access.*``) logs every request with the requester's
    Matrix id at INFO; it is pinned to CRITICAL so no request line is ever written.
    There is no console handler: nothing goes to stdout or stderr through logging.
    """
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "plain": {"format": "%(asctime)s - %(name)s - %(levelname)s - %(message)s"},
        },
        "handlers": {
            "file": {
                "class": "logging.FileHandler",
                "formatter": "plain",
                "filename": str(log_path),
                "encoding": "utf8",
                "level": "WARNING",
            },
        },
        "loggers": {
            "synapse.access": {"level": "CRITICAL"},
            "synapse.storage.SQL": {"level": "WARNING"},
        },
        "root": {"level": "WARNING", "handlers": ["file"]},
    }
