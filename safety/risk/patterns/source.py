"""Pattern source to compiled regex: macros, folding, word edges, first-token gates."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from safety.risk.normalise import fold_pattern
from safety.risk.patterns.gate import split_gated
from safety.risk.patterns.model import Matcher
from safety.risk.patterns.trie import optimise_word_lists

_MACRO = re.compile(r"\{([A-Z][A-Z0-9_]*)\}")


class PatternError(ValueError):
    """A pattern file is malformed; the message names the file part at fault."""


def strings(value: Any, where: str) -> list[str]:
    """`value` as a list of strings, or PatternError."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise PatternError(f"{where}: expected a list of strings")
    return list(value)


def expand(source: str, macros: Mapping[str, str], where: str) -> str:
    """Replace `{NAME}` by the macro's text (macros may use macros)."""
    for _ in range(8):
        if not _MACRO.search(source):
            return source

        def sub(m: re.Match[str]) -> str:
            if m.group(1) not in macros:
                raise PatternError(f"{where}: unknown macro {m.group(0)}")
            return macros[m.group(1)]

        source = _MACRO.sub(sub, source)
    raise PatternError(f"{where}: macros nest too deeply")


def whole_words(alternatives: Sequence[str]) -> str:
    """One alternation that must start and end at word edges (one lookaround, so it is fast)."""
    return r"(?<!\w)(?:" + "|".join(f"(?:{a})" for a in alternatives) + r")(?!\w)"


def fold_all(sources: Sequence[str], macros: Mapping[str, str], where: str) -> list[str]:
    """Expand macros, fold like messages, and turn plain word lists into tries."""
    return [optimise_word_lists(fold_pattern(expand(s, macros, where))) for s in sources]


def regex(alternatives: Sequence[str], where: str) -> re.Pattern[str]:
    """Compile folded alternatives as one whole-word regex, or PatternError."""
    try:
        return re.compile(whole_words(alternatives))
    except re.error as exc:
        raise PatternError(f"{where}: {exc}") from exc


def compile_alternatives(
    sources: Sequence[str], macros: Mapping[str, str], where: str
) -> re.Pattern[str]:
    """Pattern source straight to one whole-word regex."""
    return regex(fold_all(sources, macros, where), where)


def rule_matcher(sources: Sequence[str], macros: Mapping[str, str], where: str) -> Matcher:
    """A rule's `Matcher`: gated alternatives apart from those that must always run."""
    folded = fold_all(sources, macros, where)
    full = regex(folded, where)  # validates every alternative together
    tokens, gated, rest = split_gated(folded)
    return Matcher(
        full=full,
        tokens=tokens,
        gated=regex(gated, where) if gated else None,
        rest=regex(rest, where) if rest else None,
    )
