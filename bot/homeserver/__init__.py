"""The embedded Synapse homeserver used by ``make run`` and the integration tests."""

from bot.homeserver.admin import (
    RegisteredUser,
    is_admin,
    log_in,
    override_ratelimit,
    ratelimit_override,
    register_user,
    token_works,
)
from bot.homeserver.config import HomeserverLayout, write_homeserver_config
from bot.homeserver.errors import (
    AdminApiError,
    HomeserverConfigError,
    HomeserverError,
    HomeserverStartError,
    RateLimitOverrideError,
    UserExists,
)
from bot.homeserver.interpreter import SYNAPSE_PYTHON_ENV, synapse_python
from bot.homeserver.process import SynapseProcess, free_port

__all__ = [
    "SYNAPSE_PYTHON_ENV",
    "AdminApiError",
    "HomeserverConfigError",
    "HomeserverError",
    "HomeserverLayout",
    "HomeserverStartError",
    "RateLimitOverrideError",
    "RegisteredUser",
    "SynapseProcess",
    "UserExists",
    "free_port",
    "is_admin",
    "log_in",
    "override_ratelimit",
    "ratelimit_override",
    "register_user",
    "synapse_python",
    "token_works",
    "write_homeserver_config",
]
