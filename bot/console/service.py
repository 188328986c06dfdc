"""The console as the gateway runs it: the application wired to the gateway's
vault, desks and audit trail, served on loopback."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

from bot.config import GatewayConfig
from bot.console.data import ConsoleData
from bot.console.login import LoginGate, Staffing
from bot.console.web import LOOPBACK_HOSTS, Console, ConsoleHooks, create_app
from bot.monitoring.loopback_http import serve
from bot.participants.accountability import Accountability
from safety.vault import Vault

LOOPBACK = "127.0.0.1"
_OPENED = "console: check-in answers, escalation quotes and notes"
_SUMMARIES = "console: check-in summaries to the assigned mediator"

DeskSender = Callable[[str, str], Awaitable[None]]


def build_console(
    config: GatewayConfig,
    vault: Vault,
    project: Path,
    accountability: Accountability,
    send_to_desk: DeskSender,
) -> Console:
    def record_session(account: str, what: str) -> None:
        accountability.record(
            "console_session", accountability.staff(account), None, what, required=True
        )

    def record_access(account: str, participant: str, reason: str) -> None:
        accountability.record_with_reason(
            "content_access", accountability.staff(account), participant, _OPENED, reason
        )

    def record_export(account: str, what: str) -> None:
        accountability.record("export", accountability.staff(account), None, what, required=True)

    def record_summaries(account: str, participant: str) -> None:
        # Content-free, as each summary posted to the desk is recorded.
        accountability.record(
            "content_access", accountability.staff(account), participant, _SUMMARIES, required=True
        )

    staffing = Staffing(
        supervisors=frozenset(config.escalation.supervisors),
        mediators=frozenset(config.matrix.mediators),
    )
    hosts = LOOPBACK_HOSTS | ({config.console.public_host} if config.console.public_host else set())
    return Console(
        LoginGate(staffing),
        ConsoleData(vault, project, config.dialogue.zone),
        ConsoleHooks(send_to_desk, record_session, record_access, record_export, record_summaries),
        config.dialogue.zone,
        frozenset(hosts),
    )


async def start(console: Console, port: int) -> tuple[web.AppRunner, int]:
    return await serve(create_app(console), LOOPBACK, port)
