"""The first-token gate and the trie rewrite must never change what a pattern matches."""

from __future__ import annotations

import re

import pytest

from safety.risk.dataset import load_all
from safety.risk.normalise import normalise
from safety.risk.patterns import load_lexicon, mask_safe_phrases
from safety.risk.patterns.gate import first_tokens
from safety.risk.patterns.model import Rule
from safety.risk.patterns.trie import optimise_word_lists, trie_regex


def test_first_tokens_of_simple_patterns() -> None:
    assert first_tokens("(?:doda|morda) hene") == frozenset({"doda", "morda"})
    assert first_tokens("kil(?:s|ed)?") == frozenset({"kil", "kils", "kiled"})
    assert first_tokens(r"(?:^|[.,] )loaded") == frozenset({"loaded", ".", ","})
    assert first_tokens(r"\w+ hene") is None
    assert first_tokens("(?:x )?hene") == frozenset({"x", "hene"})


def test_trie_matches_exactly_the_words() -> None:
    words = ["doda", "dodar", "dodade", "sla ihjal", "slar ihjal", "a"]
    rx = re.compile(f"^{trie_regex(words)}$")
    assert all(rx.match(w) for w in words)
    assert not any(rx.match(w) for w in ["dod", "sla", "dodad", "slar", ""])
    assert optimise_word_lists(r"(?:a\w|b)") == r"(?:a\w|b)"


_TEXTS = [mask_safe_phrases(load_lexicon(), normalise(e.text)) for e in load_all()]


@pytest.mark.parametrize("rule", load_lexicon().rules, ids=lambda r: r.rule_id)
def test_gated_matching_equals_plain_matching(rule: Rule) -> None:
    for text in _TEXTS:
        plain = rule.matcher.full.search(text) is not None
        gated = bool(rule.matcher.finditer(text, set(text.split())))
        assert plain == gated, rule.rule_id
