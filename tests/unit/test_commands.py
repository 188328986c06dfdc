from __future__ import annotations

import re
from datetime import time
from typing import get_args

import pytest

from bot.core.commands import (
    COMMANDS,
    HELP,
    Command,
    Invalid,
    Verb,
    help_text,
    parse_command,
)
from bot.core.schedule import Schedule


def test_ordinary_chat_is_not_a_command() -> None:
    assert parse_command("good morning all") is None
    assert parse_command("  ") is None


def test_ack_resolve_take_release() -> None:
    assert parse_command("!ack e-7k3q2a") == Command("ack", "E-7K3Q2A")
    assert parse_command("!resolve E-7K3Q2A called, safe now") == Command(
        "resolve", "E-7K3Q2A", "called, safe now"
    )
    assert parse_command("!take P-ABC234 she asked for a person") == Command(
        "take", "P-ABC234", "she asked for a person"
    )
    assert parse_command("!release P-ABC234") == Command("release", "P-ABC234")
    assert parse_command("!help") == Command("help")


def test_the_free_text_is_still_readable_as_note() -> None:
    parsed = parse_command("!ack E-7K3Q2A on my way")
    assert isinstance(parsed, Command)
    assert parsed.text == "on my way"


def test_wrong_code_kind_is_explained() -> None:
    result = parse_command("!take E-7K3Q2A because")
    assert isinstance(result, Invalid)
    assert "P-" in result.reason


def test_missing_code_and_unknown_verbs_are_explained() -> None:
    assert isinstance(parse_command("!ack"), Invalid)
    unknown = parse_command("!delete everything")
    assert isinstance(unknown, Invalid)
    assert "!delete" in unknown.reason and "!help" in unknown.reason


def test_trust_takes_a_key_code() -> None:
    assert parse_command("!trust k-7k3q2a") == Command("trust", "K-7K3Q2A")
    wrong = parse_command("!trust P-7K3Q2A")
    assert isinstance(wrong, Invalid)
    assert "K-" in wrong.reason
    assert isinstance(parse_command("!ack K-7K3Q2A"), Invalid)


MON_THU_18 = Schedule((0, 3), time(18, 0))

WELL_FORMED = [
    ("!list", Command("list")),
    ("  !LIST  ", Command("list")),
    ("!status p-abc234", Command("status", "P-ABC234")),
    ("!answers P-ABC234", Command("answers", "P-ABC234", count=1)),
    ("!answers P-ABC234 20", Command("answers", "P-ABC234", count=20)),
    (
        "!answers P-ABC234 3 page about her was missed",
        Command("answers", "P-ABC234", "page about her was missed", count=3),
    ),
    ("!answers P-ABC234 checking a page", Command("answers", "P-ABC234", "checking a page", 1)),
    ("!ack E-7K3Q2A", Command("ack", "E-7K3Q2A")),
    ("!ack E-7K3Q2A  on   my way ", Command("ack", "E-7K3Q2A", "on   my way")),
    ("!resolve E-7K3Q2A", Command("resolve", "E-7K3Q2A")),
    ("!take P-ABC234 asked for me", Command("take", "P-ABC234", "asked for me")),
    ("!release P-ABC234", Command("release", "P-ABC234")),
    ("!say P-ABC234 I'll call you at three", Command("say", "P-ABC234", "I'll call you at three")),
    ("!checkin P-ABC234", Command("checkin", "P-ABC234")),
    ("!note P-ABC234 moved to Malmö", Command("note", "P-ABC234", "moved to Malmö")),
    ("!pause P-ABC234", Command("pause", "P-ABC234")),
    ("!resume P-ABC234", Command("resume", "P-ABC234")),
    ("!schedule P-ABC234 mon,thu@18:00", Command("schedule", "P-ABC234", schedule=MON_THU_18)),
    (
        "!schedule P-ABC234 daily@9:30",
        Command("schedule", "P-ABC234", schedule=Schedule(tuple(range(7)), time(9, 30))),
    ),
    ("!enroll @anna:example.org sv", Command("enroll", user="@anna:example.org", language="sv")),
    (
        "!enroll @a.b_c=d/e+f-9:matrix.example.org:8448 EN Mon,Thu@18:00",
        Command(
            "enroll",
            user="@a.b_c=d/e+f-9:matrix.example.org:8448",
            language="en",
            schedule=MON_THU_18,
        ),
    ),
    ("!enroll @anna:[::1]:8008 sv", Command("enroll", user="@anna:[::1]:8008", language="sv")),
    ("!unenroll P-ABC234", Command("unenroll", "P-ABC234")),
    (
        "!assign P-ABC234 @maria:example.org",
        Command("assign", "P-ABC234", user="@maria:example.org"),
    ),
    ("!digest", Command("digest")),
    ("!trust K-7K3Q2A", Command("trust", "K-7K3Q2A")),
    ("!help", Command("help")),
    ("!help me please", Command("help")),
]


@pytest.mark.parametrize(("body", "expected"), WELL_FORMED)
def test_every_command_parses(body: str, expected: Command) -> None:
    assert parse_command(body) == expected


def test_every_verb_in_the_table_has_a_well_formed_example() -> None:
    assert {expected.verb for _, expected in WELL_FORMED} == {spec.verb for spec in COMMANDS}


# (input, words the reason must contain): each names what was expected.
MALFORMED = [
    ("!", ["Unknown command", "!help"]),
    ("!frobnicate P-ABC234", ["Unknown command !frobnicate", "!list"]),
    ("!list everything", ["!list takes nothing more", "'everything'"]),
    ("!digest now", ["!digest takes nothing more"]),
    ("!status", ["!status needs a code like P-7K3Q2A"]),
    ("!status P-ABC", ["!status needs a code like P-7K3Q2A", "'P-ABC'"]),
    ("!status E-7K3Q2A", ["!status takes P- codes, not E- codes"]),
    ("!say P-ABC234", ["!say needs your message after the code"]),
    ("!status P-ABC234 extra", ["!status takes nothing more", "'extra'"]),
    ("!answers", ["!answers needs a code like P-7K3Q2A"]),
    ("!answers P-ABC234 0", ["!answers shows 1 to 20 answers, not 0"]),
    ("!answers P-ABC234 21", ["!answers shows 1 to 20 answers, not 21"]),
    ("!answers P-ABC234 -2 why", ["!answers shows 1 to 20 answers, not -2"]),
    ("!ack", ["!ack needs a code like E-7K3Q2A"]),
    ("!ack P-ABC234", ["!ack takes E- codes, not P- codes"]),
    ("!resolve K-7K3Q2A", ["!resolve takes E- codes, not K- codes"]),
    ("!take", ["!take needs a code like P-7K3Q2A"]),
    ("!take P-ABC234", ["!take needs a reason"]),
    ("!take P-ABC234    ", ["!take needs a reason"]),
    ("!release", ["!release needs a code like P-7K3Q2A"]),
    ("!release P-ABC234 now", ["!release takes nothing more", "'now'"]),
    ("!checkin", ["!checkin needs a code like P-7K3Q2A"]),
    ("!note P-ABC234", ["!note needs the note's text"]),
    ("!note", ["!note needs a code like P-7K3Q2A"]),
    ("!pause", ["!pause needs a code like P-7K3Q2A"]),
    ("!resume E-7K3Q2A", ["!resume takes P- codes"]),
    ("!schedule P-ABC234", ["!schedule needs a schedule like mon,thu@18:00"]),
    ("!schedule", ["!schedule needs a code like P-7K3Q2A"]),
    ("!schedule P-ABC234 mon,thr@18:00", ["!schedule", "unknown weekday"]),
    ("!schedule P-ABC234 mon@25:00", ["!schedule", "no such time of day"]),
    ("!schedule P-ABC234 tomorrow", ["!schedule", "mon,thu@18:00"]),
    ("!schedule P-ABC234 mon@18:00 thu@18:00", ["!schedule takes nothing more"]),
    ("!enroll", ["!enroll needs the participant's Matrix id"]),
    ("!enroll anna sv", ["!enroll needs the participant's Matrix id", "@name:example.org"]),
    ("!enroll @anna sv", ["@name:example.org", "'@anna'"]),
    ("!enroll @an na:example.org sv", ["!enroll"]),
    ("!enroll @Anna:example.org sv", ["lower case", "@anna:example.org"]),
    ("!enroll @anna:example.org", ["!enroll needs a language: sv or en"]),
    ("!enroll @anna:example.org de", ["!enroll needs a language: sv or en, not 'de'"]),
    ("!enroll @anna:example.org sv soon", ["!enroll", "'soon'"]),
    ("!enroll @anna:example.org sv daily@9:00 please", ["!enroll takes nothing more"]),
    (f"!enroll @{'a' * 260}:example.org sv", ["!enroll needs the participant's Matrix id"]),
    ("!unenroll", ["!unenroll needs a code like P-7K3Q2A"]),
    ("!assign P-ABC234", ["!assign needs the mediator's Matrix id"]),
    ("!assign P-ABC234 maria", ["!assign needs the mediator's Matrix id", "'maria'"]),
    ("!assign @maria:example.org P-ABC234", ["!assign needs a code like P-7K3Q2A"]),
    ("!trust", ["!trust needs a code like K-7K3Q2A"]),
]


@pytest.mark.parametrize(("body", "words"), MALFORMED)
def test_every_malformed_command_says_what_was_expected(body: str, words: list[str]) -> None:
    parsed = parse_command(body)
    assert isinstance(parsed, Invalid), parsed
    for word in words:
        assert word in parsed.reason
    verb = body.split()[0].lower() if body.split() else ""
    usage = next((spec.usage() for spec in COMMANDS if f"!{spec.verb}" == verb), None)
    if usage is not None:
        # A known verb's error ends with the form it should have had.
        assert parsed.reason.endswith(f"Type it as: {usage}")


def test_a_malformed_example_for_every_verb_that_takes_arguments() -> None:
    tried = {body.split()[0][1:] for body, _ in MALFORMED}
    takes_arguments = {spec.verb for spec in COMMANDS if spec.args}
    assert takes_arguments <= tried


def test_languages_come_from_the_caller() -> None:
    assert parse_command("!enroll @anna:example.org ar", ("ar", "sv")) == Command(
        "enroll", user="@anna:example.org", language="ar"
    )
    refused = parse_command("!enroll @anna:example.org en", ("ar", "sv"))
    assert isinstance(refused, Invalid)
    assert "ar or sv" in refused.reason and "ar|sv" in refused.reason
    assert "!enroll @user:server ar|sv" in help_text(("ar", "sv"))


def test_the_table_and_the_verb_type_agree() -> None:
    verbs = [spec.verb for spec in COMMANDS]
    assert len(verbs) == len(set(verbs))
    assert set(verbs) == set(get_args(Verb))


def test_help_lists_every_verb_in_the_table_and_nothing_else() -> None:
    mentioned = re.findall(r"!([a-z]+)", HELP)
    assert sorted(set(mentioned)) == sorted(spec.verb for spec in COMMANDS)
    # Each verb has exactly one line, which starts with its usage.
    for spec in COMMANDS:
        lines = [line for line in HELP.splitlines() if line.startswith(f"!{spec.verb} ")]
        assert len(lines) == 1
        assert lines[0].startswith(f"{spec.usage()} — {spec.summary}")


def test_help_shows_each_verbs_arguments() -> None:
    assert "!take P-CODE reason…" in HELP
    assert "!answers P-CODE [n] [reason…]" in HELP
    assert "!enroll @user:server sv|en [mon,thu@18:00]" in HELP
    assert "!schedule P-CODE mon,thu@18:00" in HELP
    assert "!assign P-CODE @mediator:server" in HELP
