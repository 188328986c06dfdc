"""``samtal``: the command line for operators, mediators and newcomers."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.errors import SamtalError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="samtal", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="start the whole embedded stack (what `make run` does)")
    commands.add_parser("gateway", help="run the gateway against SAMTAL_HOME/samtal.yaml")
    enroll = commands.add_parser("enroll", help="enrol a participant")
    enroll.add_argument(
        "matrix_id", help="@name:server, or telegram:USERNAME_OR_ID for a one-time Telegram link"
    )
    enroll.add_argument("--lang", required=True, choices=["sv", "en"])
    enroll.add_argument("--mediator", default=None)
    enroll.add_argument("--schedule", default=None, help="check-in times, e.g. mon,thu@18:00")
    commands.add_parser("chat", help="chat with the bot as the demo participant, over E2EE")
    commands.add_parser(
        "audit-dialogues",
        add_help=False,
        help="check the dialogue safety properties (see --help of the command itself)",
    )
    forget = commands.add_parser("forget", help="crypto-shred a participant's data")
    forget.add_argument("code", help="the participant code, e.g. P-ABC234")
    forget.add_argument("--reason", default="participant asked")
    export = commands.add_parser("export", help="write a participant's data as JSON")
    export.add_argument("code")
    export.add_argument("--out", type=Path, required=True)
    export.add_argument("--reason", default="access request")
    audit = commands.add_parser("audit", help="the audit trail")
    audit.add_argument("action", choices=["verify"])
    audit.add_argument("--head", default=None, help="an audit head published earlier (JSON)")
    keys = commands.add_parser("keys", help="the vault's key-encryption key")
    keys.add_argument("action", choices=["rotate"])
    commands.add_parser(
        "console", help="where the gateway serves the supervisor console (127.0.0.1 only)"
    )
    commands.add_parser(
        "screen", help="risk-screen JSON lines from stdin ({id, text, lang}), one result per line"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    raw = list(sys.argv[1:] if argv is None else argv)
    if raw[:1] == ["audit-dialogues"]:
        from bot.cli.audit_dialogues import main as audit_main

        return audit_main(raw[1:])
    args = _parser().parse_args(raw)
    try:
        if args.command == "run":
            from bot.cli.run import run_stack

            return asyncio.run(run_stack())
        if args.command == "gateway":
            from bot.cli.gateway import run_gateway

            return asyncio.run(run_gateway())
        if args.command == "enroll":
            from bot.cli.enroll import run_enroll

            return run_enroll(args.matrix_id, args.lang, args.mediator, args.schedule)
        if args.command == "screen":
            from safety.risk.screen import main as screen_main

            return screen_main()
        if args.command in ("forget", "export", "audit", "keys"):
            from bot.cli import operator

            if args.command == "forget":
                return operator.run_forget(args.code.upper(), args.reason)
            if args.command == "export":
                return operator.run_export(args.code.upper(), args.out, args.reason)
            if args.command == "audit":
                return operator.run_audit_verify(args.head)
            return operator.run_keys_rotate()
        if args.command == "console":
            from bot.cli.console import run_console

            return run_console()
        if args.command == "chat":
            from bot.cli.chat import run_chat

            return asyncio.run(run_chat())
    except SamtalError as exc:
        print(f"samtal: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 1


if __name__ == "__main__":
    sys.exit(main())
