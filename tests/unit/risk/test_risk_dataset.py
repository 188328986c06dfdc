"""The split and the folds keep a contrast pair together, and leave every other family
where it always was."""

from __future__ import annotations

import hashlib

import pytest

from safety.risk.dataset import (
    TEST_SHARE,
    Example,
    data_digest,
    family_bucket,
    folds,
    is_test,
    parse_examples,
)
from safety.risk.levels import RiskLevel

# `data_digest` of the one message below, computed by the code before pairs existed.
PLAIN_DIGEST = "cc2a04c1ffbfcff81b94c5cb787b7d80c769bc8fab5d5f13c1c8a04e3374bed3"


def twins(count: int = 40) -> list[tuple[Example, Example]]:
    """`count` pairs: a harmless family and its dangerous twin, one clause apart."""
    made = []
    for n in range(count):
        pair = f"{n:03d}"
        harmless = Example(f"r9xp-{pair}a", "en", RiskLevel.NONE, "none", "direct", "a", pair)
        risky = Example(f"r9xp-{pair}b", "en", RiskLevel.HIGH, "weapon", "direct", "b", pair)
        made.append((harmless, risky))
    return made


def test_a_pair_is_split_and_folded_as_one() -> None:
    pairs = twins()
    assert all(is_test(a) == is_test(b) for a, b in pairs)
    rows = [e for pair in pairs for e in pair]
    fold_of = folds(rows, 5)
    assert all(fold_of[2 * n] == fold_of[2 * n + 1] for n in range(len(pairs)))
    # Forty pairs land on both sides and in several folds: the test above is not vacuous.
    assert {is_test(a) for a, _ in pairs} == {True, False}
    assert len(set(fold_of)) > 1


def test_a_family_without_a_pair_splits_by_its_own_id() -> None:
    lonely = Example("r9xp-001b", "en", RiskLevel.HIGH, "weapon", "direct", "b")
    assert lonely.split_key == "r9xp-001b"
    paired = Example("r9xp-001b", "en", RiskLevel.HIGH, "weapon", "direct", "b", "001")
    assert paired.split_key == "r9xp-pair-001"


def test_the_pair_is_read_from_the_data() -> None:
    line = (
        '{"family": "r9xp-007a", "lang": "sv", "level": "none", "category": "none",'
        ' "text": "hej", "pair": "007"}'
    )
    (example,) = parse_examples([line])
    assert example.pair == "007" and example.split_key == "r9xp-pair-007"


def test_a_pair_changes_which_data_a_model_saw() -> None:
    """Folds follow pairs, so fold adapters cached for unpaired data must not be reused."""
    (harmless, _), *_ = twins(1)
    unpaired = Example(harmless.family, "en", RiskLevel.NONE, "none", "direct", "a")
    assert data_digest([harmless]) != data_digest([unpaired])


def test_a_pair_must_be_text() -> None:
    line = '{"family": "r9xp-007a", "lang": "sv", "level": "none", "text": "hej", "pair": null}'
    with pytest.raises(ValueError, match="TypeError"):
        list(parse_examples([line]))


def test_a_family_without_a_pair_splits_folds_and_digests_as_it_always_did() -> None:
    """Pinned to the values before pairs existed: the shipped screen's data digest, its
    split and its folds must not move because pairs were added."""
    plain = Example("thr-sv-001", "sv", RiskLevel.HIGH, "threat_to_kill", "direct", "x")
    assert data_digest([plain]) == PLAIN_DIGEST
    assert is_test(plain) == (family_bucket("thr-sv-001") < TEST_SHARE)
    fold = int(hashlib.sha256(b"fold:thr-sv-001").hexdigest()[:8], 16) % 5
    assert folds([plain], 5) == [fold]
