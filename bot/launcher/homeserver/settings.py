"""Fixed Synapse settings: the logging config and the one rate limit tests lift.

Rate-limit keys are the ones ``synapse/config/ratelimiting.py`` reads in Synapse 1.163.
Dotted keys are nested mappings (``rc_login.address`` is ``rc_login: {address: …}``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

# Test and bench homeservers keep Synapse's default limits, the ones `make run` has, so
# the bot is held to exactly what it meets in use. Test client accounts are exempted one
# by one through the admin API instead. The one exception: logins are limited per client
# IP address (rc_login.address, 5 then 1 per ~5 min), which no per-user exemption can lift,
# and every test client logs in from 127.0.0.1. It limits logins only, never what anyone
# sends once logged in.
TEST_RATE_LIMIT_KEYS: tuple[str, ...] = ("rc_login.address",)

_UNLIMITED: dict[str, float] = {"per_second": 100_000.0, "burst_count": 1_000_000}

# bcrypt's minimum cost; only for throwaway test servers (login/registration get ~100x faster).
TEST_BCRYPT_ROUNDS = 4


def test_rate_limits() -> dict[str, Any]:
    """Top-level config entries that lift the limits in ``TEST_RATE_LIMIT_KEYS``."""
    result: dict[str, Any] = {}
    for dotted in TEST_RATE_LIMIT_KEYS:
        top, _, sub = dotted.partition(".")
        if sub:
            result.setdefault(top, {})[sub] = dict(_UNLIMITED)
        else:
            result[top] = dict(_UNLIMITED)
    return result


def rate_limit_top_keys() -> frozenset[str]:
    """The top-level keys ``test_rate_limits`` may set (removed again when not testing).

    Every ``rc_`` key Synapse reads is managed, so a config written by an older version
    that lifted more limits is brought back to Synapse's defaults on the next start.
    """
    return frozenset(key.partition(".")[0] for key in TEST_RATE_LIMIT_KEYS) | _ALL_RC_KEYS


_ALL_RC_KEYS = frozenset(
    {
        "rc_message",
        "rc_registration",
        "rc_registration_token_validity",
        "rc_login",
        "rc_admin_redaction",
        "rc_joins",
        "rc_joins_per_room",
        "rc_key_requests",
        "rc_3pid_validation",
        "rc_invites",
        "rc_third_party_invite",
        "rc_media_create",
        "rc_presence",
        "rc_delayed_event_mgmt",
        "rc_room_creation",
        "rc_reports",
        "rc_user_directory",
        "rc_profile",
    }
)


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
