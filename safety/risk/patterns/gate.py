"""First-token gates: skip a pattern when the message lacks every token it could start with.

Normalised text is tokens separated by single spaces, and every pattern matches whole
words, so a match always begins with one complete token. For a pattern such as
`(?:döda|mörda) henne` that token is one of a small, finite set ({"doda", "morda"}).
This module computes that set from the compiled regex's parse tree; when it cannot be
known exactly (a pattern starting with `\\w+`, `.`, a gap), it returns None and the
pattern always runs. The gate is exact: it only skips patterns that could not match.
"""

from __future__ import annotations

import re
from typing import Any

try:  # Python >= 3.11
    from re import _parser as _sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - Python 3.10
    import sre_parse as _sre_parse

LIMIT = 400  # give up on sets larger than this
_State = set[tuple[str, bool]]  # (token so far, token finished)


class _Unknown(Exception):
    """The first token cannot be enumerated."""


def _chars(av: Any) -> list[str]:
    out: list[str] = []
    for op, val in av:
        if str(op) == "LITERAL":
            out.append(chr(val))
        elif str(op) == "RANGE" and val[1] - val[0] < 12:
            out.extend(chr(c) for c in range(val[0], val[1] + 1))
        else:
            raise _Unknown
    return out


def _step(states: _State, op: Any, av: Any) -> _State:
    name = str(op)
    if name in ("AT", "ASSERT", "ASSERT_NOT"):
        return states  # zero width: it can only forbid matches, never add tokens
    if name == "LITERAL":
        return {(s, True) if done or chr(av) == " " else (s + chr(av), False) for s, done in states}
    if name == "IN":
        return {r for ch in _chars(av) for r in _step(states, "LITERAL", ord(ch))}
    if name == "SUBPATTERN":
        return _seq(states, av[-1])
    if name == "BRANCH":
        return {r for branch in av[1] for r in _seq(states, branch)}
    if name in ("MAX_REPEAT", "MIN_REPEAT") and av[1] <= 6:
        total, current = set(states) if av[0] == 0 else set(), states
        for count in range(1, av[1] + 1):
            current = _seq(current, av[2])
            if count >= av[0]:
                total |= current
        return total
    raise _Unknown


def _seq(states: _State, items: Any) -> _State:
    for op, av in items:
        if all(done for _, done in states):
            return states
        states = _step(states, op, av)
        if len(states) > LIMIT:
            raise _Unknown
    return states


def first_tokens(pattern: str) -> frozenset[str] | None:
    """Every token a match of `pattern` can begin with, or None if that is open-ended."""
    try:
        tokens = {s for s, _ in _seq({("", False)}, _sre_parse.parse(pattern))}
    except (_Unknown, RecursionError):
        return None
    if "" in tokens:
        return None
    return frozenset(tokens)


def split_gated(alternatives: list[str]) -> tuple[frozenset[str], list[str], list[str]]:
    """Sort alternatives into gated ones (with their first tokens) and always-run ones."""
    tokens: set[str] = set()
    gated: list[str] = []
    rest: list[str] = []
    for alt in alternatives:
        found = first_tokens(alt)
        if found is None:
            rest.append(alt)
        else:
            tokens |= found
            gated.append(alt)
    return frozenset(tokens), gated, rest


def compile_or_none(pattern: str | None) -> re.Pattern[str] | None:
    return None if pattern is None else re.compile(pattern)
