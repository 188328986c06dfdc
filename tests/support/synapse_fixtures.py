"""Session-wide real Synapse for integration tests.

Use from a test module with ``pytest_plugins = ["tests.support.synapse_fixtures"]``
(or from the root conftest). Every test gets the same homeserver; register users with
``await synapse_server.new_user("alice")``, which picks a unique localpart.

The homeserver keeps Synapse's default rate limits, as under ``make run``; each user a
test registers is exempted through the admin API unless it asks to stay limited.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
import pytest_asyncio

from bot.launcher.homeserver import (
    HomeserverLayout,
    RegisteredUser,
    SynapseProcess,
    free_port,
    override_ratelimit,
    register_user,
    write_homeserver_config,
)


@dataclass(frozen=True)
class TestUser:
    registered: RegisteredUser
    localpart: str
    password: str = field(repr=False)

    @property
    def user_id(self) -> str:
        return self.registered.user_id


@dataclass(frozen=True)
class RunningSynapse:
    process: SynapseProcess
    layout: HomeserverLayout
    shared_secret: str = field(repr=False)
    start_seconds: float
    admin_token: str = field(repr=False)

    @property
    def base_url(self) -> str:
        return self.layout.base_url

    async def new_user(
        self, prefix: str = "user", *, admin: bool = False, rate_limited: bool = False
    ) -> TestUser:
        localpart = f"{prefix}-{secrets.token_hex(4)}"
        password = secrets.token_urlsafe(16)
        registered = await register_user(
            self.base_url, self.shared_secret, localpart, password, admin=admin
        )
        if not rate_limited:
            await override_ratelimit(self.base_url, self.admin_token, registered.user_id)
        return TestUser(registered=registered, localpart=localpart, password=password)


async def start_synapse(data_dir_parent: pytest.TempPathFactory) -> RunningSynapse:
    """Configure and start a fresh test homeserver; the caller must stop it."""
    data_dir = data_dir_parent.mktemp("synapse")
    layout = write_homeserver_config(data_dir, port=free_port(), for_tests=True)
    process = SynapseProcess(layout)
    began = time.monotonic()
    await process.start(timeout=60)
    started = time.monotonic() - began
    shared_secret = layout.read_registration_secret()
    try:
        admin = await register_user(
            layout.base_url,
            shared_secret,
            f"admin-{secrets.token_hex(4)}",
            secrets.token_urlsafe(16),
            admin=True,
        )
    except BaseException:
        await process.stop()
        raise
    return RunningSynapse(
        process=process,
        layout=layout,
        shared_secret=shared_secret,
        start_seconds=started,
        admin_token=admin.access_token,
    )


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def synapse_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[RunningSynapse]:
    running = await start_synapse(tmp_path_factory)
    try:
        yield running
    finally:
        await running.process.stop()
