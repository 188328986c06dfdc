"""Trend rules and context fusion."""

from __future__ import annotations

import pytest

from safety.risk import RiskContext, RiskLevel, assess
from safety.risk.context import rising_stress


@pytest.mark.parametrize(
    ("scores", "rising"),
    [
        ((3, 5, 7), True),
        ((9, 1, 2, 3), True),
        ((3, 5, 5), False),
        ((7, 5, 3), False),
        ((2, 4), False),
        ((), False),
        ((1, 2, 3, 2), False),
    ],
)
def test_rising_stress_needs_three_strict_rises_in_a_row(
    scores: tuple[int, ...], rising: bool
) -> None:
    assert rising_stress(scores) is rising


def test_rising_stress_lifts_an_ordinary_answer_to_elevated() -> None:
    result = assess("ok", RiskContext(language="sv", in_checkin=True, stress_scores=[2, 4, 6]))
    assert result.level is RiskLevel.ELEVATED
    assert result.categories == ("trend_rising_stress",)


def test_missed_checkin_after_high_week_is_at_least_high() -> None:
    result = assess("", RiskContext(language="en", missed_checkin_after_high=True))
    assert result.level is RiskLevel.HIGH
    assert "missed_checkin_after_high" in result.categories


def test_text_and_context_fuse_highest_wins() -> None:
    ctx = RiskContext(language="en", stress_scores=(1, 2, 3), missed_checkin_after_high=True)
    result = assess("im gonna kill her tonight", ctx)
    assert result.level is RiskLevel.IMMINENT
    for category in ("trend_rising_stress", "missed_checkin_after_high", "threat_to_partner"):
        assert category in result.categories
        assert category in result.rationale


def test_recent_levels_do_not_echo_into_new_messages() -> None:
    ctx = RiskContext(language="sv", recent_levels=(RiskLevel.HIGH, RiskLevel.IMMINENT))
    assert assess("allt är lugnt idag", ctx).level is RiskLevel.NONE


def test_context_is_frozen_and_stores_tuples() -> None:
    ctx = RiskContext(stress_scores=[1, 2], recent_levels=[RiskLevel.NONE])
    assert ctx.stress_scores == (1, 2)
    assert ctx.recent_levels == (RiskLevel.NONE,)
    with pytest.raises(TypeError):
        RiskContext(recent_levels=["high"])  # type: ignore[list-item]
