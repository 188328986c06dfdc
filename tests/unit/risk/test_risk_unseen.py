"""The screen on messages by writers who never saw the data, the patterns or any model.

These messages (data/risk/unseen/) are only scored, never trained on and never used to
choose a model or a threshold, so they stand in for what participants will write. Their
bounds are today's figures, not the targets: they stop the screen getting worse on
other people's phrasings unnoticed. docs/safety.md gives the figures and what is missed.
"""

from __future__ import annotations

from collections import Counter

import pytest

from safety.risk.dataset import (
    Example,
    is_hard_negative,
    load_all,
    load_unseen,
    ordinary_families,
)
from safety.risk.evaluate import Scores, score
from safety.risk.levels import RiskLevel
from safety.risk.normalise import normalise
from safety.risk.taxonomy import load_taxonomy

LANGUAGES = ("sv", "en")
# Measured: recall 0.964 / 0.937, imminent below high 1 / 2, ordinary paged 1.8 % / 5.4 %.
RECALL_FLOOR = {"sv": 0.96, "en": 0.935}
IMMINENT_BELOW_HIGH_CEILING = {"sv": 1, "en": 2}
ORDINARY_ESCALATION_CEILING = {"sv": 0.02, "en": 0.055}


@pytest.fixture(scope="module")
def unseen() -> list[Example]:
    return load_unseen()


@pytest.fixture(scope="module")
def scored(unseen: list[Example]) -> dict[str, Scores]:
    return score(unseen)


def test_the_unseen_messages_are_labelled_and_marked(unseen: list[Example]) -> None:
    per_language = Counter(e.lang for e in unseen)
    assert all(per_language[lang] >= 400 for lang in LANGUAGES), per_language
    categories = set(load_taxonomy())
    for e in unseen:
        assert e.category in categories or (e.level is RiskLevel.NONE and e.category == "none")
    ordinary = ordinary_families()
    harmless = [e for e in unseen if e.level is RiskLevel.NONE]
    kinds = Counter(is_hard_negative(e, ordinary) for e in harmless)
    assert kinds[True] >= 100 and kinds[False] >= 100, kinds


def test_no_unseen_message_is_trained_on(unseen: list[Example]) -> None:
    data = load_all()
    assert {e.family for e in data}.isdisjoint({e.family for e in unseen})
    written = {normalise(e.text) for e in data}
    assert not [e.family for e in unseen if normalise(e.text) in written]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_recall_on_other_writers(scored: dict[str, Scores], lang: str) -> None:
    assert scored[lang].recall_high >= RECALL_FLOOR[lang]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_imminent_below_high_on_other_writers(scored: dict[str, Scores], lang: str) -> None:
    assert scored[lang].imminent_below_high <= IMMINENT_BELOW_HIGH_CEILING[lang]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_ordinary_paged_on_other_writers(scored: dict[str, Scores], lang: str) -> None:
    assert scored[lang].ordinary_escalated <= ORDINARY_ESCALATION_CEILING[lang]
