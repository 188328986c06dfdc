"""Normalisation: one canonical form for messages and for pattern source."""

from __future__ import annotations

import re

import pytest

from safety.risk.normalise import fold_pattern, normalise


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Jag Skulle ALDRIG", "jag skule aldrig"),
        ("Hämta Öl på Väg", "hamta ol pa vag"),
        ("k1ll her", "kil her"),
        ("h4te", "hate"),
        ("$hoot", "shot"),
        ("j@g mår b4ttre", "jag mar batre"),
        ("kiiiiiill", "kil"),
        ("döööööda", "doda"),
        ("k i l l her", "kil her"),
        ("k.i.l.l", "kil"),
        ("k-i-l-l", "kil"),
        ("s k a  d ö d a  h e n n e", "ska doda hene"),
        ("k\u200bi\u200dll", "kil"),
        ("don't", "dont"),
        ("she’ll", "shel"),
        ("sms:ade henne", "smsade hene"),
        ("  many    spaces\t\n", "many spaces"),
        ("hеnne", "hene"),  # Cyrillic "е"
        ("🔪 ikväll", "knife ikval"),
    ],
)
def test_normalise_undoes_obfuscation(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("called her 40 times", "caled her 40 times"),
        ("at 10am", "at 10am"),
        ("3 av 10", "3 av 10"),
        ("22:00", "22 : 00"),
    ],
)
def test_plain_numbers_are_not_leetspeak(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


def test_sentence_punctuation_becomes_tokens() -> None:
    assert normalise("nej!!! aldrig, sa jag.") == "nej ! aldrig , sa jag ."


def test_fold_pattern_matches_folded_text_and_keeps_escapes() -> None:
    pattern = re.compile(fold_pattern(r"\bslå ihjäl (?:henne|honom)\b"))
    assert pattern.search(normalise("Jag ska SLÅÅÅ IHJÄL henne"))
    assert fold_pattern(r"\S+\W\B") == r"\S+\W\B"
    assert fold_pattern("kill") == normalise("kill")
