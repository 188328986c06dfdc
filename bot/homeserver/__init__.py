"""The embedded Synapse homeserver used by ``make run`` and the integration tests."""

from bot.homeserver.admin import RegisteredUser, override_ratelimit, register_user
from bot.homeserver.config import HomeserverLayout, write_homeserver_config
from bot.homeserver.errors import (
    AdminApiError,
    HomeserverConfigError,
    HomeserverError,
    HomeserverStartError,
    UserExists,
)
from bot.homeserver.process import SynapseProcess, free_port

__all__ = [
    "AdminApiError",
    "HomeserverConfigError",
    "HomeserverError",
    "HomeserverLayout",
    "HomeserverStartError",
    "RegisteredUser",
    "SynapseProcess",
    "UserExists",
    "free_port",
    "override_ratelimit",
    "register_user",
    "write_homeserver_config",
]
