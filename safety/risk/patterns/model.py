"""Compiled pattern objects. Built by `compiler`, used by `matcher`; no I/O here."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from safety.risk.levels import RiskLevel

_CLAUSE_PUNCT = r"[.!?;:]"
# Tokens before a match that a negator or a pseudo-negation can span besides the
# scope's `window` (the longest, "aldrig i livet att jag", is five).
_NEGATOR_REACH = 16


def last_tokens(text: str, end: int, count: int) -> str:
    """The last `count` space-separated tokens of `text[:end]`: the negation check reads
    only these, so a long message costs the same per match as a short one."""
    start = end
    for _ in range(count):
        start = text.rfind(" ", 0, start - 1) if start > 0 else -1
        if start < 0:
            return text[:end]
    return text[start + 1 : end]


@dataclass(frozen=True, slots=True)
class NegationScope:
    """How one language negates: "I would never hurt her", "jag skulle aldrig skada henne".

    A rule match is negated when a negator stands in the same clause, at most `window`
    tokens before the match, with no new subject pronoun in between (in "cant sleep i'm
    going to hurt her" the "i'm" starts a new clause). Pseudo-negations ("can't stop",
    "kan inte sluta", "nothing to lose") are blanked first: they do not negate.
    """

    negators: re.Pattern[str]
    pseudo: re.Pattern[str] | None
    clause_break: re.Pattern[str]
    pronouns: frozenset[str]
    window: int

    def negates(self, text: str, start: int) -> bool:
        """True if the match starting at `start` in `text` is in a negator's scope."""
        before = last_tokens(text, start, self.window + _NEGATOR_REACH)
        clause = self.clause_break.split(before)[-1]
        if self.pseudo is not None:
            clause = self.pseudo.sub(" _ ", clause)
        found = list(self.negators.finditer(clause))
        if not found:
            return False
        between = clause[found[-1].end() :].split()
        return len(between) <= self.window and not self.pronouns.intersection(between)


def clause_break_pattern(words: list[str], continuers: list[str]) -> re.Pattern[str]:
    """Clause boundaries: sentence punctuation, commas (unless "never, ever"), conjunctions."""
    parts = [_CLAUSE_PUNCT]
    keep = "|".join(continuers)
    parts.append(rf",(?! (?:{keep})\b)" if keep else ",")
    if words:
        parts.append(r"\b(?:" + "|".join(words) + r")\b")
    return re.compile("|".join(parts))


@dataclass(frozen=True, slots=True)
class Matcher:
    """A rule's patterns: `gated` runs only if the message has one of `tokens` (the tokens
    its matches can start with, see `gate`); `rest` always runs; `full` is both in one."""

    full: re.Pattern[str]
    tokens: frozenset[str]
    gated: re.Pattern[str] | None
    rest: re.Pattern[str] | None

    def finditer(self, text: str, tokens: set[str]) -> list[re.Match[str]]:
        """Every match in `text`, given the set of `text`'s tokens."""
        found: list[re.Match[str]] = []
        if self.gated is not None and not self.tokens.isdisjoint(tokens):
            found.extend(self.gated.finditer(text))
        if self.rest is not None:
            found.extend(self.rest.finditer(text))
        return found


@dataclass(frozen=True, slots=True)
class Rule:
    """One category's patterns in one language. Level NONE marks a cue: used by combos only."""

    rule_id: str
    category: str
    level: RiskLevel
    matcher: Matcher
    negatable: bool
    consume: bool
    scope: NegationScope


@dataclass(frozen=True, slots=True)
class Combo:
    """Fires when every group has a category present: ((a, b), (c, d)) → (a or b) and (c or d)."""

    combo_id: str
    groups: tuple[frozenset[str], ...]
    category: str
    level: RiskLevel


@dataclass(frozen=True, slots=True)
class Lexicon:
    """Everything the matcher needs, for all loaded languages.

    `rules` holds rules with a level first (consuming ones first of all), then cues
    (level NONE, evaluated only when a combo asks). `index` maps a token to the positions
    of the rules whose matches may start with it; `always` lists rules that run whatever
    the tokens are.
    """

    languages: tuple[str, ...]
    safe_phrases: re.Pattern[str] | None
    rules: tuple[Rule, ...]
    index: Mapping[str, tuple[int, ...]]
    always: frozenset[int]
    combos: tuple[Combo, ...]

    def candidates(self, tokens: set[str]) -> list[int]:
        """Positions in `rules` worth running for a message with these tokens, in order."""
        found = set(self.always)
        for token in tokens:
            hit = self.index.get(token)
            if hit is not None:
                found.update(hit)
        return sorted(found)
