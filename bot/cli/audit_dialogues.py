"""``samtal audit-dialogues``: check the dialogue's safety properties.

(a) no check-in question before consent; (b) the withdraw intent leads to
withdrawal from every state; (c) a risk intent leads to the safety flow and a
risk_flag effect from every state. The static check reads the dialogue files;
the dynamic check drives randomised conversations through a running Rasa
(by default the one ``make run`` started, found through SAMTAL_HOME).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bot.ids import ParticipantId
from bot.rasa.client import RasaClient, RasaControl
from safety.flow_audit import run_dynamic_audit, run_static_audit
from safety.flow_audit.model import DynamicReport
from safety.flow_audit.report import dynamic_text, static_text

PROJECT = Path(__file__).resolve().parents[2]
DEFAULT_CONVERSATIONS = 1000
# A turn waits this long at most: a thousand conversations run twelve at a time.
TIMEOUT_SECONDS = 120.0


class _GatewayDialogue:
    """The audit's calls, made by the gateway's own Rasa client."""

    def __init__(self, client: RasaClient) -> None:
        self._client = client
        self._control = RasaControl(client)

    async def message(
        self, sender: str, text: str, metadata: dict[str, Any]
    ) -> list[dict[str, Any]]:
        return await self._client.message(ParticipantId(sender), text, metadata)

    async def trigger(
        self, sender: str, intent: str, entities: dict[str, str] | None
    ) -> list[dict[str, Any]]:
        return await self._control.trigger_intent(ParticipantId(sender), intent, entities or {})

    async def start_session(self, sender: str, metadata: dict[str, Any]) -> None:
        await self._control.start_session(ParticipantId(sender), metadata)

    async def active_loop(self, sender: str) -> str | None:
        return await self._control.active_loop(ParticipantId(sender))


async def dynamic_report(
    rasa_url: str, token: str, conversations: int, seed: int, project: Path = PROJECT
) -> DynamicReport:
    """Drive the randomised conversations through the Rasa at ``rasa_url``."""
    async with RasaClient(rasa_url, token, TIMEOUT_SECONDS) as client:
        return await run_dynamic_audit(
            _GatewayDialogue(client), conversations, seed, project=project
        )


def run_static_check(project: Path = PROJECT) -> int:
    """Print the static report; return the number of violations."""
    report = run_static_audit(project)
    print(static_text(report))
    return len(report.violations)


async def run_audit(rasa_url: str, token: str, conversations: int, seed: int) -> int:
    """Print the dynamic report; return violations plus conversations that failed to run."""
    report = await dynamic_report(rasa_url, token, conversations, seed)
    print(dynamic_text(report))
    return len(report.violations) + len(report.errors)


def _home() -> Path:
    return Path(os.environ.get("SAMTAL_HOME", PROJECT / "var"))


def _default_rasa_url(home: Path) -> str | None:
    stack = home / "stack.json"
    if not stack.is_file():
        return None
    url = json.loads(stack.read_text(encoding="utf-8")).get("rasa_url")
    return url if isinstance(url, str) else None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="samtal audit-dialogues", description=__doc__)
    parser.add_argument("--static", action="store_true", help="only check the dialogue files")
    parser.add_argument("--rasa-url", default=None, help="default: rasa_url in stack.json")
    parser.add_argument(
        "--token-file", type=Path, default=None, help="default: SAMTAL_HOME/secrets/rasa.token"
    )
    parser.add_argument("--conversations", type=int, default=DEFAULT_CONVERSATIONS)
    parser.add_argument("--seed", type=int, default=0)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    problems = run_static_check()
    if args.static:
        return 1 if problems else 0
    home = _home()
    rasa_url = args.rasa_url or _default_rasa_url(home)
    token_file = args.token_file or home / "secrets" / "rasa.token"
    if rasa_url is None or not token_file.is_file():
        print("no running Rasa found: start it (make run) or give --rasa-url and --token-file")
        return 2
    token = token_file.read_text(encoding="utf-8").strip()
    problems += asyncio.run(run_audit(rasa_url, token, args.conversations, args.seed))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
