"""The decision set (data/risk/decision/): labelled, marked and apart from everything else.

It is read once per candidate screen, beside the shipped one, under a rule written down
before (docs/safety.md). So these tests never score it: a test that printed or bounded
its figures would read it on every run, and a bound would become a way of choosing.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict

import pytest

from safety.risk import evaluate
from safety.risk.dataset import (
    NONE_KINDS_PATH,
    Example,
    load_all,
    load_decision,
    load_unseen,
    load_waiting,
    split,
)
from safety.risk.evaluate import main as evaluate_main
from safety.risk.levels import RiskLevel
from safety.risk.near_repeats import exact_repeats, near_repeats, words_of
from safety.risk.taxonomy import NONE_CATEGORY, load_taxonomy

LANGUAGES = ("sv", "en")
# The first decision set. `load_decision` reads every file of the folder, so a later set
# (d2) comes only after this one has left it (data/risk/README.md).
PREFIX = "d1"


@pytest.fixture(scope="module")
def decision() -> list[Example]:
    return load_decision()


def everything_else() -> list[Example]:
    """The labelled data, the rounds waiting to join it and the other writers' sets."""
    return load_all() + load_waiting() + load_unseen()


def test_the_decision_set_is_labelled_one_way_per_family(decision: list[Example]) -> None:
    per_language = Counter(e.lang for e in decision)
    assert all(per_language[lang] >= 250 for lang in LANGUAGES), per_language
    assert all(e.family.startswith(PREFIX) for e in decision)
    labels: defaultdict[str, set[tuple[RiskLevel, str | None]]] = defaultdict(set)
    for e in decision:
        labels[e.family].add((e.level, e.category))
    assert all(len(v) == 1 for v in labels.values())
    categories = set(load_taxonomy())
    assert all(e.category in categories for e in decision)
    assert all((e.level is RiskLevel.NONE) == (e.category == NONE_CATEGORY) for e in decision)


def test_every_level_is_there_in_both_languages(decision: list[Example]) -> None:
    seen = Counter((e.lang, e.level) for e in decision)
    assert all(seen[(lang, level)] >= 40 for lang in LANGUAGES for level in RiskLevel), seen


def test_its_harmless_families_are_marked(decision: list[Example]) -> None:
    """A harmless family left unmarked would count as a hard negative, and the ordinary
    pages, which decide as much as recall does, would be counted on the wrong messages."""
    kinds = json.loads(NONE_KINDS_PATH.read_text(encoding="utf-8"))
    harmless = [e for e in decision if e.level is RiskLevel.NONE]
    per_kind = Counter((e.lang, kinds.get(e.family)) for e in harmless)
    kinds_wanted = ("ordinary", "hard_negative")
    assert all(per_kind[(lang, k)] >= 60 for lang in LANGUAGES for k in kinds_wanted), per_kind
    assert {kind for _, kind in per_kind} == set(kinds_wanted)


def test_training_never_reads_it(decision: list[Example]) -> None:
    train, test = split(load_all())
    families = {e.family for e in decision}
    assert families.isdisjoint(e.family for e in train + test)
    assert {e.text for e in decision}.isdisjoint(e.text for e in train + test)


def test_it_nearly_repeats_nothing_else(decision: list[Example]) -> None:
    others = everything_else()
    assert {e.family for e in decision}.isdisjoint(e.family for e in others)
    assert not near_repeats(decision, others)
    assert not exact_repeats(decision, others)
    own = Counter(words_of(e.text) for e in decision)
    assert not [words for words, n in own.items() if n > 1]


@pytest.mark.parametrize("other", ["--misses", "--compare", "--unseen", "--cv", "--plot=x.png"])
def test_the_evaluation_reads_it_alone_and_never_lists_its_messages(
    other: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as refused:
        evaluate_main(["--decision", other])
    assert refused.value.code == 2
    assert "read alone" in capsys.readouterr().err


def test_its_reading_prints_figures_and_no_message(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """What `--decision` prints could reach a terminal log; a family id or a text there
    would tell the next round of data what to write."""
    rows = [
        Example(
            "zz-dec-001", "en", RiskLevel.IMMINENT, "weapon", "direct", "Qx7 loaded and going now"
        ),
        Example("zz-dec-002", "sv", RiskLevel.NONE, NONE_CATEGORY, "direct", "Zy9 hämtar barnen"),
    ]
    monkeypatch.setattr(evaluate, "load_decision", lambda: rows)
    assert evaluate_main(["--decision"]) == 0
    printed = capsys.readouterr().out
    assert "[en]" in printed and "recall(high ∪ imminent)" in printed
    assert "zz-dec" not in printed and "Qx7" not in printed and "Zy9" not in printed
    assert "weapon" not in printed  # no per-category lines either
