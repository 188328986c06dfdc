"""Mediator commands typed in the staff room, parsed without side effects."""

from __future__ import annotations

import re
from dataclasses import dataclass

_CODE = re.compile(r"^[EPK]-[A-Z0-9]{6}$")
HELP = (
    "Commands: !ack E-CODE · !resolve E-CODE note · !take P-CODE · !release P-CODE · "
    "!digest (elevated risk since the last daily digest) · "
    "!trust K-CODE (a device or identity the bot is holding back) · !help\n"
    "Acknowledge a page with a ✅ reaction, too."
)


@dataclass(frozen=True)
class Command:
    verb: str
    code: str = ""
    note: str = ""


@dataclass(frozen=True)
class Invalid:
    reason: str


_NEEDS = {"ack": "E", "resolve": "E", "take": "P", "release": "P", "trust": "K"}


def parse_command(body: str) -> Command | Invalid | None:
    """None for ordinary chat; Invalid with a reason for a malformed command."""
    text = body.strip()
    if not text.startswith("!"):
        return None
    parts = text[1:].split(maxsplit=2)
    verb = parts[0].lower() if parts else ""
    if verb in ("help", "digest"):
        return Command(verb)
    if verb not in _NEEDS:
        return Invalid(f"unknown command !{verb}. {HELP}")
    if len(parts) < 2 or not _CODE.match(parts[1].upper()):
        return Invalid(f"!{verb} needs a code like {_NEEDS[verb]}-7K3Q2A")
    code = parts[1].upper()
    if not code.startswith(_NEEDS[verb]):
        return Invalid(f"!{verb} takes a {_NEEDS[verb]}- code")
    return Command(verb, code, parts[2].strip() if len(parts) > 2 else "")
