"""The embedded stack: Synapse, Rasa, the action server and the gateway.

``samtal run`` and the integration tests both build on this, so the tests run
the same wiring a newcomer gets from ``make run``.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from bot.config import load_config
from bot.escalation.desks import desk_rooms
from bot.launcher import rasa
from bot.launcher.homeserver import (
    HomeserverLayout,
    RateLimitOverrideError,
    SynapseProcess,
    UserExists,
    free_port,
    log_in,
    override_ratelimit,
    ratelimit_override,
    register_user,
    token_works,
    write_homeserver_config,
)
from bot.launcher.layout import StackLayout, write_gateway_config, write_json
from bot.launcher.processes import ManagedProcess, ProcessStartError
from bot.participants import enrolment
from bot.vault_access import open_configured_vault

BOT = "samtal"
# A server admin used only by the launcher, for admin API calls such as the bot's
# rate-limit exemption. The bot itself is never an admin.
LAUNCHER_ADMIN = "samtal-launcher"
# Its password and its access token, in secrets/ beside the other accounts' passwords.
LAUNCHER_ADMIN_FILES = {"password": "launcher-admin.password", "token": "launcher-admin.token"}
# One fixed device, so a fresh login replaces the old session instead of adding devices.
LAUNCHER_ADMIN_DEVICE = "SAMTALLAUNCHER"
EXEMPT = {"messages_per_second": 0, "burst_count": 0}
DEMO_MEDIATOR = "mediator"
DEMO_PARTICIPANT = "deltagare"
DEMO_ON_CALL = "jour"
DEMO_SUPERVISOR = "handledare"
STAFF_SECRETS = {
    DEMO_MEDIATOR: "mediator.password",
    DEMO_ON_CALL: "oncall.password",
    DEMO_SUPERVISOR: "supervisor.password",
}
PRODUCTION_ACK_SECONDS = {"imminent": 300.0, "high": 3600.0, "handoff": 3600.0}
TEST_RETENTION_DAYS = 15 / 86_400  # fifteen seconds
TEST_ACK_SECONDS = {"imminent": 6.0, "high": 6.0, "handoff": 6.0}
# Tests watch a check-in start, be reminded and be missed within a minute.
TEST_CHECKINS = {
    "tick_seconds": 1.0,
    "quiet_before_minutes": 3 / 60,
    "remind_after_minutes": 15 / 60,
    "missed_after_hours": 30 / 3600,
}
SERVER_NAME = "localhost"
PORT_NAMES = ("homeserver", "rasa", "actions", "monitoring", "console")


def user_id(localpart: str) -> str:
    return f"@{localpart}:{SERVER_NAME}"


@dataclass
class Stack:
    project: Path
    layout: StackLayout
    for_tests: bool = False
    timings: dict[str, float] = field(default_factory=dict)
    synapse: SynapseProcess | None = None
    actions: ManagedProcess | None = None
    rasa_server: ManagedProcess | None = None
    gateway: ManagedProcess | None = None
    ports: dict[str, int] = field(default_factory=dict)
    ack_seconds: dict[str, float] | None = None
    _admin_token: str | None = field(default=None, repr=False)

    @property
    def homeserver_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['homeserver']}"

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['rasa']}"

    @property
    def monitoring_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['monitoring']}"

    @property
    def console_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['console']}/"

    def _choose_ports(self) -> None:
        path = self.layout.ports_json
        kept: dict[str, int] = {}
        if path.exists() and not self.for_tests:
            kept = {k: int(v) for k, v in json.loads(path.read_text()).items()}
            if all(name in kept for name in PORT_NAMES):
                self.ports = kept
                return
        # A state directory from before a port was added keeps its other ports.
        self.ports = {name: kept.get(name) or free_port() for name in PORT_NAMES}
        self.layout.home.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_json(path, dict(self.ports))

    async def start_homeserver(self) -> HomeserverLayout:
        self._choose_ports()
        started = time.monotonic()
        hs_layout = write_homeserver_config(
            self.layout.synapse,
            server_name=SERVER_NAME,
            port=self.ports["homeserver"],
            for_tests=self.for_tests,
        )
        self.synapse = SynapseProcess(hs_layout)
        await self.synapse.start()
        self.timings["homeserver_start_s"] = time.monotonic() - started
        return hs_layout

    async def provision(self, hs_layout: HomeserverLayout) -> None:
        """Create the bot and demo accounts once; their passwords live in secrets/.

        Every start also exempts the bot from Synapse's rate limits. Synapse's default
        ``rc_message`` (0.2 messages/s after a burst of 10) would hold each reply of a
        multi-message answer ~5 s behind the one before, for every participant at once.
        """
        shared = hs_layout.read_registration_secret()
        await self.ensure_launcher_admin(shared)
        accounts = {BOT: "bot.password", DEMO_PARTICIPANT: "participant.password", **STAFF_SECRETS}
        for localpart, secret in accounts.items():
            try:
                await register_user(
                    self.homeserver_url, shared, localpart, self.layout.read_secret(secret)
                )
            except UserExists:
                pass
        await self.exempt_from_rate_limits(user_id(BOT))
        self.layout.secret("pickle.key")
        self.layout.secret("rasa.token")
        write_gateway_config(
            self.layout,
            homeserver_url=self.homeserver_url,
            bot_user_id=user_id(BOT),
            mediators=[user_id(DEMO_MEDIATOR)],
            on_call=[user_id(DEMO_ON_CALL)],
            supervisors=[user_id(DEMO_SUPERVISOR)],
            rasa_url=self.rasa_url,
            monitoring_port=self.ports["monitoring"],
            console_port=self.ports["console"],
            ack_seconds=self.ack_seconds
            or (TEST_ACK_SECONDS if self.for_tests else PRODUCTION_ACK_SECONDS),
            # Tests must not depend on the time of day they run at.
            quiet_hours=None if self.for_tests else "22:00-07:00",
            # Tests watch retention act within seconds.
            retention_days=TEST_RETENTION_DAYS if self.for_tests else 90,
            checkins=TEST_CHECKINS if self.for_tests else None,
            # Tests see the day's digest posted as soon as the gateway starts.
            digest_at="00:00" if self.for_tests else "08:00",
        )
        await self.enroll(user_id(DEMO_PARTICIPANT), "sv", user_id(DEMO_MEDIATOR))

    async def ensure_launcher_admin(self, shared_secret: str) -> None:
        """Register the launcher's admin once; later starts reuse its token or log in."""
        password = self.layout.read_secret(LAUNCHER_ADMIN_FILES["password"])
        try:
            admin = await register_user(
                self.homeserver_url, shared_secret, LAUNCHER_ADMIN, password, admin=True
            )
            self._admin_token = admin.access_token
        except UserExists:
            # Reuse the stored token: a fresh login at every start would run into
            # Synapse's per-account login limit (rc_login.account) on quick restarts.
            stored = self.layout.stored_secret(LAUNCHER_ADMIN_FILES["token"])
            if stored is not None and await token_works(self.homeserver_url, stored):
                self._admin_token = stored
            else:
                self._admin_token = await log_in(
                    self.homeserver_url, LAUNCHER_ADMIN, password, LAUNCHER_ADMIN_DEVICE
                )
        self.layout.write_secret(LAUNCHER_ADMIN_FILES["token"], self._admin_token)

    async def exempt_from_rate_limits(self, matrix_id: str) -> None:
        """Lift Synapse's per-user rate limits for ``matrix_id``, and check that it held."""
        if self._admin_token is None:
            raise RateLimitOverrideError("provision the homeserver first")
        await override_ratelimit(self.homeserver_url, self._admin_token, matrix_id)
        held = await ratelimit_override(self.homeserver_url, self._admin_token, matrix_id)
        if held != EXEMPT:
            raise RateLimitOverrideError(f"Synapse kept {held} instead of {EXEMPT}")

    async def enroll(self, matrix_id: str, language: str, mediator: str | None) -> None:
        enrolment.enroll(self.layout.home, matrix_id, language, mediator)

    async def start_rasa(self) -> None:
        paths = rasa.RasaPaths.default(self.project)
        model, train_seconds = await asyncio.to_thread(rasa.ensure_model, paths, self.layout.home)
        self.timings["rasa_train_s"] = train_seconds
        started = time.monotonic()
        self.actions = rasa.action_server(paths, self.layout.home, self.ports["actions"])
        self.rasa_server = rasa.rasa_server(
            paths,
            self.layout.home,
            model,
            self.ports["rasa"],
            self.ports["actions"],
            self.layout.secret("rasa.token"),
            self._configured_vault_url(),
        )
        await self.actions.start()
        await self.rasa_server.start()
        await self.actions.wait_http(f"http://127.0.0.1:{self.ports['actions']}/health", 120)
        await self.rasa_server.wait_http(f"{self.rasa_url}/", 180)
        self.timings["rasa_ready_s"] = time.monotonic() - started

    def _configured_vault_url(self) -> str | None:
        """A PostgreSQL vault set for the gateway (SAMTAL_VAULT_URL), or None for
        the local SQLite one."""
        home = self.layout.home
        return load_config(home / "samtal.yaml", home).vault_url_secret

    async def stop_rasa_server(self) -> None:
        if self.rasa_server is not None:
            await self.rasa_server.stop()

    async def restart_rasa_server(self) -> None:
        assert self.rasa_server is not None
        await self.rasa_server.start()
        await self.rasa_server.wait_http(f"{self.rasa_url}/", 180)

    def gateway_python(self) -> str:
        """The gateway's own environment (``.venv``, runtime dependencies only), as
        under ``make run``, even when the tests run from ``.venv-dev``."""
        runtime = self.project / ".venv" / "bin" / "python"
        return str(runtime) if runtime.exists() else sys.executable

    async def start_gateway(self) -> None:
        self.gateway = ManagedProcess(
            "gateway",
            [self.gateway_python(), "-m", "bot.cli.main", "gateway"],
            self.layout.logs / "gateway.log",
            cwd=self.project,
            env={"SAMTAL_HOME": str(self.layout.home)},
            keep_secrets=True,  # the gateway is the one process that reads them
        )
        started = time.monotonic()
        await self.gateway.start()
        await self._wait_log(self.gateway, '"event": "gateway_ready"', 60)
        self.timings["gateway_ready_s"] = time.monotonic() - started

    def children(self) -> dict[str, ManagedProcess | SynapseProcess]:
        """The started children, by the name the supervisor reports."""
        named: dict[str, ManagedProcess | SynapseProcess | None] = {
            "homeserver": self.synapse,
            "action server": self.actions,
            "rasa": self.rasa_server,
            "gateway": self.gateway,
        }
        return {name: child for name, child in named.items() if child is not None}

    async def restart(self, name: str) -> None:
        """Start one child again after it died."""
        if name == "homeserver" and self.synapse is not None:
            await self.synapse.start()
        elif name == "action server" and self.actions is not None:
            await self.actions.start()
            await self.actions.wait_http(f"http://127.0.0.1:{self.ports['actions']}/health", 120)
        elif name == "rasa":
            await self.restart_rasa_server()
        elif name == "gateway":
            await self.start_gateway()
        else:
            raise ValueError(f"no child named {name}")

    async def stop_gateway(self) -> None:
        if self.gateway is not None:
            await self.gateway.stop()

    async def kill_gateway(self) -> None:
        """End the gateway with SIGKILL, as a crash would."""
        if self.gateway is not None:
            await self.gateway.kill()

    async def _wait_log(self, process: ManagedProcess, marker: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        offset = process.log_path.stat().st_size if process.log_path.exists() else 0
        while time.monotonic() < deadline:
            if not process.running:
                raise ProcessStartError(f"{process.name} exited; see {process.log_path}")
            if process.log_path.exists():
                with process.log_path.open("rb") as handle:
                    handle.seek(offset)
                    if marker.encode() in handle.read():
                        return
            await asyncio.sleep(0.2)
        raise ProcessStartError(f"{process.name} not ready; see {process.log_path}")

    def desk_rooms(self) -> dict[str, str]:
        """The staff desks the gateway made (read from its vault beside it)."""
        home = self.layout.home
        config = load_config(home / "samtal.yaml", home)
        vault = open_configured_vault(config, create_key=False)
        try:
            return desk_rooms(vault)
        finally:
            vault.close()

    def write_stack_json(self) -> None:
        desks = self.desk_rooms()
        write_json(
            self.layout.stack_json,
            {
                "homeserver_url": self.homeserver_url,
                "console_url": self.console_url,
                "bot_user_id": user_id(BOT),
                "rasa_url": self.rasa_url,
                "health_url": f"{self.monitoring_url}/healthz",
                "metrics_url": f"{self.monitoring_url}/metrics",
                "accounts": {
                    **{
                        role: {
                            "user_id": user_id(localpart),
                            "password_file": str(self.layout.secrets / STAFF_SECRETS[localpart]),
                            # The room where this person's pages and summaries arrive.
                            "desk_room_id": desks.get(user_id(localpart)),
                        }
                        for role, localpart in (
                            ("mediator", DEMO_MEDIATOR),
                            ("on_call", DEMO_ON_CALL),
                            ("supervisor", DEMO_SUPERVISOR),
                        )
                    },
                    "participant": {
                        "user_id": user_id(DEMO_PARTICIPANT),
                        "language": "sv",
                        "password_file": str(self.layout.secrets / "participant.password"),
                    },
                },
                "logs": str(self.layout.logs),
            },
        )

    async def stop(self) -> None:
        """Stop every child, gateway first and homeserver last; one child that
        fails to stop does not keep the others running."""
        failures: list[BaseException] = []
        for process in (self.gateway, self.rasa_server, self.actions, self.synapse):
            if process is None:
                continue
            try:
                await process.stop()
            except Exception as exc:  # each child must still get its stop
                failures.append(exc)
        if failures:
            raise failures[0]
