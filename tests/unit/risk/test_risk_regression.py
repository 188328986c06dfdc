"""Regression guard: the held-out test set must keep meeting the safety targets."""

from __future__ import annotations

from safety.risk.dataset import TEST_PATH, TRAIN_PATH, load_examples
from safety.risk.evaluate import score
from safety.risk.levels import RiskLevel


def test_data_sets_are_large_bilingual_and_disjoint() -> None:
    train, test = load_examples(TRAIN_PATH), load_examples(TEST_PATH)
    assert len(train) + len(test) >= 500
    assert not {e.text for e in train} & {e.text for e in test}
    assert not {e.example_id for e in train} & {e.example_id for e in test}
    for examples in (train, test):
        assert {(e.lang, e.level) for e in examples} == {
            (lang, level) for lang in ("sv", "en") for level in RiskLevel
        }
    assert all(not e.example_id.startswith("d-") for e in test)  # dev examples: train only


def test_test_set_meets_the_safety_targets() -> None:
    report = score(load_examples(TEST_PATH))
    assert report.recall_high >= 0.95
    assert report.imminent_below_high == 0
    assert report.none_escalation(RiskLevel.ELEVATED) <= 0.05
