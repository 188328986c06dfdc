"""Apply a `Lexicon` to normalised text: mask idioms, match rules, honour negation, fire combos."""

from __future__ import annotations

from dataclasses import dataclass

from safety.risk.levels import RiskLevel, Signal
from safety.risk.patterns.model import Lexicon, Rule

_BLANK = " _ "
_NONE = RiskLevel.NONE


@dataclass(frozen=True, slots=True)
class PatternResult:
    """What the patterns found. `masked` is the text with idioms blanked (classifier input).

    `present` holds every category and cue seen; `negated` the categories that matched
    only inside a negation ("I would never hurt her").
    """

    masked: str
    signals: tuple[Signal, ...]
    present: frozenset[str]
    negated: frozenset[str]


def mask_safe_phrases(lexicon: Lexicon, text: str) -> str:
    """Blank idioms and harmless fixed phrases ("could murder a coffee", "döda tiden")."""
    if lexicon.safe_phrases is None:
        return text
    return lexicon.safe_phrases.sub(_BLANK, text)


def _live_match(rule: Rule, text: str, tokens: set[str]) -> tuple[tuple[int, int] | None, bool]:
    """Span of the first match no negator governs, and whether any match was negated."""
    negated = False
    for m in rule.matcher.finditer(text, tokens):
        if not (rule.negatable and rule.scope.negates(text, m.start())):
            return m.span(), negated
        negated = True
    return None, negated


def match(lexicon: Lexicon, normalised: str) -> PatternResult:
    """Run every rule that the message's tokens allow, then the combos."""
    text = masked = mask_safe_phrases(lexicon, normalised)
    tokens = set(text.split())
    signals: list[Signal] = []
    found: dict[str, int] = {}
    negated: set[str] = set()
    cues: dict[str, list[Rule]] = {}
    for position in lexicon.candidates(tokens):
        rule = lexicon.rules[position]
        if rule.level is _NONE:
            cues.setdefault(rule.category, []).append(rule)
            continue
        rank = rule.level.rank
        if not rule.consume and found.get(rule.category, 0) >= rank:
            continue
        span, was_negated = _live_match(rule, text, tokens)
        if was_negated:
            negated.add(rule.category)
        if span is None:
            continue
        found[rule.category] = max(rank, found.get(rule.category, 0))
        signals.append(Signal(rule.category, rule.level, "pattern", rule.rule_id))
        if rule.consume:
            text = text[: span[0]] + _BLANK + text[span[1] :]
            tokens = set(text.split())
    present = set(found)

    def has(category: str) -> bool:
        """Cues are checked lazily, at most once each, only if their tokens occur."""
        if category in present:
            return True
        rules = cues.pop(category, None)
        if rules and any(_live_match(r, text, tokens)[0] is not None for r in rules):
            present.add(category)
            return True
        return False

    for combo in lexicon.combos:
        if all(any(has(c) for c in group) for group in combo.groups):
            signals.append(Signal(combo.category, combo.level, "pattern", combo.combo_id))
            present.add(combo.category)
    return PatternResult(masked, tuple(signals), frozenset(present), frozenset(negated - present))
