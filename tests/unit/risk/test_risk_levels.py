"""Risk levels, signals and fusion."""

from __future__ import annotations

import re

import pytest

from safety.risk import RiskContext, RiskLevel, Signal, assess
from safety.risk.levels import LEVELS, combine

NONE, ELEVATED, HIGH, IMMINENT = LEVELS


def test_levels_are_ordered_and_parse() -> None:
    assert NONE < ELEVATED < HIGH < IMMINENT
    assert max(LEVELS) is IMMINENT
    assert [lv.value for lv in LEVELS] == ["none", "elevated", "high", "imminent"]
    assert RiskLevel.parse(" High ") is HIGH
    with pytest.raises(ValueError):
        RiskLevel.parse("severe")


def test_highest_level_wins_and_rationale_lists_every_category() -> None:
    result = combine(
        (
            Signal("rage", ELEVATED, "pattern", "en.rage"),
            Signal("weapon", HIGH, "pattern", "en.weapon"),
            Signal("trend_rising_stress", ELEVATED, "context", "rising_x3"),
        )
    )
    assert result.level is HIGH
    assert result.categories == ("weapon", "rage", "trend_rising_stress")
    for category in ("weapon", "rage", "trend_rising_stress"):
        assert category in result.rationale


def test_no_signals_means_none() -> None:
    result = combine(())
    assert result.level is NONE
    assert result.signals == ()


EVIDENCE = re.compile(r"(?:sv|en)\.[a-z_]+|combo\.[a-z_]+|p>=\d\.\d\d|rising_x3|missed_after_high")


@pytest.mark.parametrize(
    "text",
    [
        "im outside her door with a knife right now, uniquecanary",
        "jag ska döda henne ikväll uniquecanary",
        "drinking a lot again uniquecanary",
    ],
)
def test_assessment_never_carries_message_text(text: str) -> None:
    ctx = RiskContext(language="en", stress_scores=(1, 2, 3), missed_checkin_after_high=True)
    result = assess(text, ctx)
    assert result.signals
    for sig in result.signals:
        assert EVIDENCE.fullmatch(sig.evidence), sig.evidence
    assert "uniquecanary" not in repr(result)
