"""The split and the folds keep a contrast pair together, and leave every other family
where it always was."""

from __future__ import annotations

from safety.risk.dataset import Example, data_digest, folds, is_test, parse_examples
from safety.risk.levels import RiskLevel


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
