"""Fuzzing mediator command parsing: any staff-room text parses to ordinary chat, a
command with a well-formed code, or a stated reason; nothing raises."""

from __future__ import annotations

import re

from hypothesis import example, given
from hypothesis import strategies as st

from bot.core.commands import BY_VERB, Command, Invalid, Kind, parse_command

VERBS = [*BY_VERB, "ACK", "Trust", "nope"]
# The code each verb takes, read from the one table of commands.
PREFIX = {
    verb: arg.code_prefix
    for verb, spec in BY_VERB.items()
    for arg in spec.args
    if arg.kind is Kind.CODE
}
CODE = re.compile(r"[EPK]-[A-Z0-9]{6}")
any_char = st.characters(exclude_categories=())
codes = st.from_regex(r"[EPKepkx]-[A-Za-z0-9ıſß]{5,7}", fullmatch=True)
spaces = st.sampled_from([" ", "  ", "\t", "\n", "\u00a0", "\u2003", "\u3000", ""])
bodies = st.one_of(
    st.text(any_char, max_size=80),
    st.builds(
        lambda lead, verb, gap, code, gap2, note: f"{lead}!{verb}{gap}{code}{gap2}{note}",
        spaces,
        st.sampled_from(VERBS) | st.text(max_size=6),
        spaces,
        codes | st.text(any_char, max_size=9),
        spaces,
        st.text(any_char, max_size=40),
    ),
)


@given(body=bodies)
@example(body="!ack e-ıııııı")  # dotless i upper-cases to ASCII I
@example(body="!trust K-ABCDEF\n")
def test_any_text_parses_without_raising(body: str) -> None:
    parsed = parse_command(body)
    if not body.strip().startswith("!"):
        assert parsed is None
    elif isinstance(parsed, Command):
        assert parsed.verb in BY_VERB
        assert parsed.text == parsed.text.strip()
        if parsed.verb in PREFIX:
            assert CODE.fullmatch(parsed.code), parsed
            assert parsed.code.startswith(PREFIX[parsed.verb])
        else:
            assert parsed.code == ""
    else:
        assert isinstance(parsed, Invalid) and parsed.reason
