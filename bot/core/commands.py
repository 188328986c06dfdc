"""Staff commands typed in a desk room: one table that the parser and !help both read.

Pure: parsing has no side effects, and who may run a command is decided in
bot.core.authorisation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from enum import Enum
from typing import Literal

from bot.core.schedule import Schedule
from bot.errors import ConfigError

Verb = Literal[
    "list",
    "status",
    "answers",
    "ack",
    "resolve",
    "take",
    "release",
    "say",
    "checkin",
    "note",
    "pause",
    "resume",
    "schedule",
    "enroll",
    "unenroll",
    "assign",
    "digest",
    "trust",
    "help",
]

DEFAULT_LANGUAGES = ("sv", "en")
MAX_ANSWERS = 20
# Matrix ids as the spec allows new ones: a lower-case localpart, then a server name
# (host, IPv4 or [IPv6], optional port). 255 characters at most in all.
_USER = re.compile(
    r"@[a-z0-9._=/+-]+:(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?", re.ASCII
)
_CODE = re.compile(r"[EPK]-[A-Z0-9]{6}", re.ASCII)
# Anything that looks like a number is taken as the count, so "!answers P-X 50"
# is refused rather than read as a reason that happens to be "50".
_NUMBER = re.compile(r"[+-]?[0-9]+", re.ASCII)


class Kind(Enum):
    CODE = "code"
    COUNT = "count"
    USER = "user"
    LANGUAGE = "language"
    SCHEDULE = "schedule"
    TEXT = "text"


@dataclass(frozen=True)
class Arg:
    """One argument of a command; a count is always optional and defaults to 1."""

    kind: Kind
    shown_as: str
    optional: bool = False
    code_prefix: str = ""
    # How the error for a missing argument names it: "a reason", "a Matrix id".
    described_as: str = ""

    def usage(self, languages: tuple[str, ...]) -> str:
        shown = "|".join(languages) if self.kind is Kind.LANGUAGE else self.shown_as
        return f"[{shown}]" if self.optional else shown


@dataclass(frozen=True)
class Spec:
    """One row of the table: what the parser expects and what !help says."""

    verb: Verb
    args: tuple[Arg, ...]
    summary: str

    def usage(self, languages: tuple[str, ...] = DEFAULT_LANGUAGES) -> str:
        return " ".join([f"!{self.verb}", *(arg.usage(languages) for arg in self.args)])


def _code_arg(prefix: str) -> Arg:
    return Arg(Kind.CODE, f"{prefix}-CODE", code_prefix=prefix)


def _text_arg(shown_as: str, described_as: str, *, optional: bool = False) -> Arg:
    return Arg(Kind.TEXT, shown_as, optional=optional, described_as=described_as)


_SCHEDULE_EXAMPLE = "mon,thu@18:00"
_PARTICIPANT = _code_arg("P")
_PAGE = _code_arg("E")
_NOTE = _text_arg("note…", "a note", optional=True)

# The order here is the order of !help.
COMMANDS: tuple[Spec, ...] = (
    Spec("list", (), "your participants: status, last check-in, open pages"),
    Spec("status", (_PARTICIPANT,), "one participant's status, without what they wrote"),
    Spec(
        "answers",
        (
            _PARTICIPANT,
            Arg(Kind.COUNT, "n", optional=True),
            _text_arg("reason…", "", optional=True),
        ),
        f"their last n check-in answers (1–{MAX_ANSWERS}); "
        "for a participant who is not yours, say why",
    ),
    Spec("ack", (_PAGE, _NOTE), "acknowledge a page (a ✅ reaction on it does too)"),
    Spec("resolve", (_PAGE, _NOTE), "close a page"),
    Spec(
        "take",
        (_PARTICIPANT, _text_arg("reason…", "a reason")),
        "take the conversation over from the bot, saying why",
    ),
    Spec("release", (_PARTICIPANT,), "hand the conversation back to the bot"),
    Spec(
        "say",
        (_PARTICIPANT, _text_arg("message…", "your message")),
        "write to someone you took over on Telegram (relayed under a staff name)",
    ),
    Spec("checkin", (_PARTICIPANT,), "start a check-in now"),
    Spec("note", (_PARTICIPANT, _text_arg("text…", "the note's text")), "add a note to their file"),
    Spec("pause", (_PARTICIPANT,), "pause their scheduled check-ins"),
    Spec("resume", (_PARTICIPANT,), "resume their scheduled check-ins"),
    Spec(
        "schedule",
        (_PARTICIPANT, Arg(Kind.SCHEDULE, _SCHEDULE_EXAMPLE)),
        "change when their check-ins are",
    ),
    Spec(
        "enroll",
        (
            Arg(Kind.USER, "@user:server", described_as="the participant's Matrix id"),
            Arg(Kind.LANGUAGE, "language"),
            Arg(Kind.SCHEDULE, _SCHEDULE_EXAMPLE, optional=True),
        ),
        "enrol a participant; a mediator who enrols becomes theirs",
    ),
    Spec("unenroll", (_PARTICIPANT,), "end a participant's enrolment"),
    Spec(
        "assign",
        (_PARTICIPANT, Arg(Kind.USER, "@mediator:server", described_as="the mediator's Matrix id")),
        "give a participant another mediator",
    ),
    Spec("digest", (), "elevated risk since the last daily digest"),
    Spec("trust", (_code_arg("K"),), "trust a device or identity the bot is holding back"),
    Spec("help", (), "this list"),
)
BY_VERB: dict[str, Spec] = {spec.verb: spec for spec in COMMANDS}


def help_text(languages: tuple[str, ...] = DEFAULT_LANGUAGES) -> str:
    lines = [f"{spec.usage(languages)} — {spec.summary}" for spec in COMMANDS]
    return "\n".join(["Commands:", *lines, "Codes are not case-sensitive."])


HELP = help_text()


@dataclass(frozen=True)
class Command:
    """A well-formed command; fields the verb does not take keep their defaults."""

    verb: Verb
    code: str = ""
    text: str = ""
    count: int | None = None
    user: str = ""
    language: str = ""
    schedule: Schedule | None = None


@dataclass(frozen=True)
class Invalid:
    reason: str


class _Refused(Exception):
    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


def parse_command(
    body: str, languages: tuple[str, ...] = DEFAULT_LANGUAGES
) -> Command | Invalid | None:
    """None for ordinary chat; Invalid with a reason for a malformed command."""
    text = body.strip()
    if not text.startswith("!"):
        return None
    word, rest = _next_word(text[1:])
    spec = BY_VERB.get(word.lower())
    if spec is None:
        known = ", ".join(f"!{s.verb}" for s in COMMANDS)
        return Invalid(f"Unknown command !{word}. Commands: {known}. !help explains them.")
    if spec.verb == "help":
        # Whoever types "!help me" wants the help, not an error about "me".
        return Command("help")
    try:
        return _parse_args(spec, rest, languages)
    except _Refused as refused:
        return Invalid(f"{refused.problem}. Type it as: {spec.usage(languages)}")


def _parse_args(spec: Spec, rest: str, languages: tuple[str, ...]) -> Command:
    parts = Command(spec.verb)
    for arg in spec.args:
        if arg.kind is Kind.TEXT:
            parts, rest = replace(parts, text=rest.strip()), ""
            if not parts.text and not arg.optional:
                raise _Refused(f"!{spec.verb} needs {arg.described_as} after the code")
            continue
        word, after = _next_word(rest)
        if arg.kind is Kind.COUNT:
            counted = _NUMBER.fullmatch(word) is not None
            parts = replace(parts, count=_count(spec, word) if counted else 1)
            rest = after if counted else rest
            continue
        if not word:
            if arg.optional:
                continue
            raise _Refused(_missing(spec, arg, languages))
        if arg.kind is Kind.CODE:
            parts = replace(parts, code=_code(spec, arg, word))
        elif arg.kind is Kind.USER:
            parts = replace(parts, user=_user(spec, arg, word))
        elif arg.kind is Kind.LANGUAGE:
            parts = replace(parts, language=_language(spec, word, languages))
        else:
            parts = replace(parts, schedule=_schedule(spec, word))
        rest = after
    extra, _ = _next_word(rest)
    if extra:
        raise _Refused(f"!{spec.verb} takes nothing more, not {extra!r}")
    return parts


def _missing(spec: Spec, arg: Arg, languages: tuple[str, ...]) -> str:
    if arg.kind is Kind.CODE:
        return f"!{spec.verb} needs a code like {arg.code_prefix}-7K3Q2A"
    if arg.kind is Kind.SCHEDULE:
        return f"!{spec.verb} needs a schedule like {_SCHEDULE_EXAMPLE}"
    if arg.kind is Kind.LANGUAGE:
        return f"!{spec.verb} needs a language: {' or '.join(languages)}"
    return f"!{spec.verb} needs {arg.described_as}"


def _language(spec: Spec, word: str, languages: tuple[str, ...]) -> str:
    if word.lower() not in languages:
        raise _Refused(f"!{spec.verb} needs a language: {' or '.join(languages)}, not {word!r}")
    return word.lower()


def _schedule(spec: Spec, word: str) -> Schedule:
    try:
        return Schedule.parse(word)
    except ConfigError as exc:
        # The schedule parser's own words say what is wrong: the weekday, the time.
        raise _Refused(f"!{spec.verb}: {exc}") from None


def _code(spec: Spec, arg: Arg, word: str) -> str:
    code = word.upper()
    if not _CODE.fullmatch(code):
        raise _Refused(f"!{spec.verb} needs a code like {arg.code_prefix}-7K3Q2A, not {word!r}")
    if not code.startswith(arg.code_prefix):
        raise _Refused(f"!{spec.verb} takes {arg.code_prefix}- codes, not {code[0]}- codes")
    return code


def _user(spec: Spec, arg: Arg, word: str) -> str:
    if len(word) <= 255 and _USER.fullmatch(word):
        return word
    local, colon, server = word.partition(":")
    lowered = f"{local.lower()}{colon}{server}"
    if lowered != word and _USER.fullmatch(lowered):
        # Guessing the lower-case account could reach someone else: ask instead.
        raise _Refused(f"!{spec.verb}: Matrix ids are lower case before the colon, as in {lowered}")
    raise _Refused(f"!{spec.verb} needs {arg.described_as}, like @name:example.org, not {word!r}")


def _count(spec: Spec, word: str) -> int:
    count = int(word)
    if not 1 <= count <= MAX_ANSWERS:
        raise _Refused(f"!{spec.verb} shows 1 to {MAX_ANSWERS} answers, not {word}")
    return count


def _next_word(text: str) -> tuple[str, str]:
    parts = text.split(maxsplit=1)
    if not parts:
        return "", ""
    return parts[0], parts[1] if len(parts) > 1 else ""
