"""Compile pattern data (parsed JSON) into a `Lexicon`.

Pattern source is written in ordinary spelling ("döda henne", "don't"); `fold_pattern`
folds it exactly as `normalise` folds messages. `{NAME}` expands a language's macro.
A rule with level "none" is a cue: it never becomes a signal, combos use it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from safety.risk.levels import RiskLevel
from safety.risk.normalise import fold_pattern
from safety.risk.patterns.model import Combo, Lexicon, NegationScope, Rule, clause_break_pattern
from safety.risk.patterns.source import (
    PatternError,
    compile_alternatives,
    fold_all,
    rule_matcher,
    strings,
    whole_words,
)

__all__ = ["PatternError", "build_lexicon", "compile_combos", "compile_language"]


def _scope(data: Mapping[str, Any], macros: Mapping[str, str], lang: str) -> NegationScope:
    where = f"{lang}.negation"
    negators = strings(data.get("negators"), f"{where}.negators")
    pseudo = strings(data.get("pseudo_negations", []), f"{where}.pseudo_negations")
    words = [fold_pattern(w) for w in strings(data.get("clause_words", []), where)]
    cont = [fold_pattern(w) for w in strings(data.get("continuers", []), where)]
    window = data.get("window", 3)
    if not isinstance(window, int) or window < 0:
        raise PatternError(f"{where}.window: expected a non-negative integer")
    # Longest first: "aldrig att jag" must win over "aldrig", or the pronoun it swallows
    # would end the negation's scope (regex alternation takes the first that matches).
    negators.sort(key=len, reverse=True)
    pseudo.sort(key=len, reverse=True)
    return NegationScope(
        negators=compile_alternatives(negators, macros, where),
        pseudo=compile_alternatives(pseudo, macros, where) if pseudo else None,
        clause_break=clause_break_pattern(words, cont),
        pronouns=frozenset(fold_pattern(p) for p in strings(data.get("pronouns", []), where)),
        window=window,
    )


def _level(value: Any, where: str) -> RiskLevel:
    try:
        return RiskLevel.parse(str(value))
    except ValueError:
        raise PatternError(f"{where}: unknown level {value!r}") from None


def compile_language(data: Mapping[str, Any]) -> tuple[list[Rule], list[str]]:
    """Compile one language file; returns its rules and its (folded) safe-phrase sources."""
    lang = data.get("language")
    if not isinstance(lang, str) or not lang:
        raise PatternError("pattern file: missing 'language'")
    raw_macros = data.get("macros", {})
    if not isinstance(raw_macros, dict):
        raise PatternError(f"{lang}.macros: expected an object")
    macros = {str(k): str(v) for k, v in raw_macros.items()}
    scope = _scope(data.get("negation", {}), macros, lang)
    safe = fold_all(strings(data.get("safe_phrases", []), f"{lang}.safe"), macros, f"{lang}.safe")
    rules: list[Rule] = []
    for i, raw in enumerate(data.get("rules", [])):
        where = f"{lang}.rules[{i}]"
        if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
            raise PatternError(f"{where}: expected an object with an 'id'")
        where = f"{lang}.{raw['id']}"
        category = raw.get("category")
        if not isinstance(category, str) or not category:
            raise PatternError(f"{where}: missing 'category'")
        rules.append(
            Rule(
                rule_id=where,
                category=category,
                level=_level(raw.get("level"), where),
                matcher=rule_matcher(strings(raw.get("patterns"), where), macros, where),
                negatable=bool(raw.get("negatable", True)),
                consume=bool(raw.get("consume", False)),
                scope=scope,
            )
        )
    return rules, safe


def compile_combos(data: Mapping[str, Any]) -> list[Combo]:
    """Compile the language-independent combination rules."""
    combos: list[Combo] = []
    for i, raw in enumerate(data.get("combos", [])):
        where = f"combos[{i}]"
        if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
            raise PatternError(f"{where}: expected an object with an 'id'")
        groups = raw.get("all")
        if not isinstance(groups, list) or not groups:
            raise PatternError(f"{where}: 'all' must be a non-empty list of lists")
        combos.append(
            Combo(
                combo_id=f"combo.{raw['id']}",
                groups=tuple(frozenset(strings(g, f"{where}.all")) for g in groups),
                category=str(raw.get("category", raw["id"])),
                level=_level(raw.get("level"), where),
            )
        )
    return combos


def build_lexicon(languages: Sequence[Mapping[str, Any]], combos: Mapping[str, Any]) -> Lexicon:
    """Compile every language file plus the shared combos into one `Lexicon`."""
    rules: list[Rule] = []
    safe: list[str] = []
    names: list[str] = []
    for data in languages:
        lang_rules, lang_safe = compile_language(data)
        names.append(str(data["language"]))
        rules.extend(lang_rules)
        safe.extend(lang_safe)
    for rule in rules:
        if rule.level is RiskLevel.NONE and rule.consume:
            raise PatternError(f"{rule.rule_id}: a cue cannot consume text")
    # Consuming rules run first so that what they matched is hidden from the rest; cues last.
    ordered = sorted(rules, key=lambda r: (r.level is RiskLevel.NONE, not r.consume))
    index: dict[str, list[int]] = {}
    for position, rule in enumerate(ordered):
        for token in rule.matcher.tokens:
            index.setdefault(token, []).append(position)
    safe_re = re.compile(whole_words(safe)) if safe else None
    return Lexicon(
        languages=tuple(names),
        safe_phrases=safe_re,
        rules=tuple(ordered),
        index={token: tuple(positions) for token, positions in index.items()},
        always=frozenset(i for i, r in enumerate(ordered) if r.matcher.rest is not None),
        combos=tuple(compile_combos(combos)),
    )
