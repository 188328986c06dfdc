"""Normalisation: one canonical form for messages and for pattern source."""

from __future__ import annotations

import re

import pytest

from safety.risk.assess import pattern_signals
from safety.risk.levels import RiskLevel
from safety.risk.normalise import fold_pattern, normalise, readings


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


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("SHOТGUN", "shotgun"),  # Cyrillic capital Т
        ("PUNCHЕD", "punched"),  # Cyrillic capital Е
        ("ΟΚ", "ok"),  # Greek capital omicron, Cyrillic capital К
        ("pun\u200fched", "punched"),  # right-to-left mark
        ("su\u200eper", "super"),  # left-to-right mark
        ("ki\u202ell", "kil"),  # direction override
        ("ki\u2066l\u2069l", "kil"),  # direction isolates
        ("ki\ufe01ll", "kil"),  # variation selector
        ("ki\U000e0041ll", "kil"),  # tag character
        ("ki\u1ab0ll", "kil"),  # combining mark outside U+0300-036F
        ("ki\x00ll", "kil"),  # a control character
        ("ki\U000e0100ll", "kil"),  # supplementary variation selector
    ],
)
def test_invisible_and_capital_look_alikes_do_not_split_or_hide_a_word(
    raw: str, expected: str
) -> None:
    assert normalise(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("the\ns\nh\no\nt\ng\nu\nn", "the shotgun"),
        ("the\r\ns\r\nh\r\no\r\nt", "the shot"),
        ("the s  h  o  t  g  u  n", "the shotgun"),
        ("s k a  d ö d a  h e n n e", "ska doda hene"),
        ("ja\nnej\nok", "ja nej ok"),
    ],
)
def test_letters_one_to_a_line_or_evenly_spaced_are_joined(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


def test_an_invisible_character_is_read_both_as_nothing_and_as_a_gap() -> None:
    # Inside a word it hides nothing; between words it must not glue them together.
    assert readings("I will kill\x00her tonight") == [
        "i wil kilher tonight",
        "i wil kil her tonight",
    ]
    assert readings("jag ska döda\u200ehenne") == ["jag ska dodahene", "jag ska doda hene"]
    assert readings("ki\u200bll") == ["kil", "ki l"]
    assert readings("plain text") == ["plain text"]
    # A combining mark belongs to its letter: no second reading splits "hämta".
    assert readings("ha\u0308mta") == ["hamta"]


@pytest.mark.parametrize(
    "text",
    [
        "I will kill\x00her tonight",
        "jag ska döda\u200ehenne ikväll",
        # One inside a word and one between words: only a mix of the two readings finds it.
        "I will ki\u200bll\u200bher tonight",
        "jag ska dö\u200bda\u200bhenne ikväll",
    ],
)
def test_a_threat_glued_by_an_invisible_character_is_found_by_the_patterns(text: str) -> None:
    levels = [s.level for s in pattern_signals(text)]
    assert max(levels, default=RiskLevel.NONE) >= RiskLevel.HIGH
