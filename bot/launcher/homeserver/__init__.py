"""The embedded Synapse homeserver used by ``make run`` and the integration tests."""

from bot.launcher.homeserver.admin import (
    RegisteredUser,
    is_admin,
    log_in,
    override_ratelimit,
    ratelimit_override,
    register_user,
    token_works,
)
from bot.launcher.homeserver.config import HomeserverLayout, write_homeserver_config
from bot.launcher.homeserver.errors import (
    AdminApiError,
    HomeserverConfigError,
    HomeserverError,
    HomeserverStartError,
    RateLimitOverrideError,
    UserExists,
)
from bot.launcher.homeserver.interpreter import SYNAPSE_PYTHON_ENV, synapse_python
from bot.launcher.homeserver.process import SynapseProcess, free_port

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
