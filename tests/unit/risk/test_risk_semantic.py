"""The encoder heads: pinned weights, deterministic maths, sentences read apart, fresh model."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from safety.risk import logreg, semantic
from safety.risk.assess import assess
from safety.risk.calibration import fit_platt
from safety.risk.context import RiskContext
from safety.risk.dataset import data_digest, load_all, split
from safety.risk.encoder import DIMENSION, MAX_CHARS, load_encoder
from safety.risk.encoder.adapter import committed_adapter_path, read_adapter
from safety.risk.encoder.runtime import HIDDEN
from safety.risk.levels import LEVELS, RiskLevel
from safety.risk.question_heads import QuestionHeads
from safety.risk.semantic import (
    MAX_WINDOWS,
    STRETCH_OVERLAP,
    SemanticModel,
    load_semantic_model,
    prepare,
    readings,
    stretches,
)
from safety.risk.taxonomy import load_taxonomy
from safety.risk.train import ORDINARY_PAGE_BUDGET, choose_thresholds


def test_the_encoder_reads_the_message_with_whitespace_folded() -> None:
    assert prepare("  hej \n där ") == "hej där"
    assert load_semantic_model().signal(" \n ") is None


def test_a_nul_byte_cannot_hide_the_rest_of_a_message() -> None:
    threat = "jag har kniven i bilen och åker till hennes lägenhet nu"
    assert prepare("ok\x00" + threat) == "ok " + threat
    signal = load_semantic_model().signal("ok\x00" + threat)
    assert signal is not None and signal.level >= RiskLevel.HIGH


def test_a_lone_surrogate_is_screened_not_raised() -> None:
    # JSON's "\ud800" decodes to a lone surrogate, which UTF-8 (and the engine) cannot
    # carry; the rest of the message is still read, and the threat still found.
    threat = "jag ska döda henne ikväll"
    assert prepare("\ud800 " + threat) == "\ufffd " + threat
    assert assess("\ud800 " + threat, RiskContext(language="sv")).level is RiskLevel.IMMINENT


def test_a_long_message_is_read_from_end_to_end_in_overlapping_stretches() -> None:
    # Filler that never repeats, so each stretch's place in the message is known.
    filler = " ".join(f"ord{index}" for index in range(2000))
    threat = "jag har kniven i bilen och åker till hennes lägenhet nu"
    # Across the first stretch's end: read whole only if the next overlaps it.
    message = filler[: MAX_CHARS - 20] + threat + filler[MAX_CHARS:]
    parts = readings(message)
    step = MAX_CHARS - STRETCH_OVERLAP
    starts = [*range(0, len(message) - MAX_CHARS, step), len(message) - MAX_CHARS]
    assert parts == [message[start : start + MAX_CHARS] for start in starts]
    assert len(parts) == -(-(len(message) - STRETCH_OVERLAP) // step)
    assert threat not in parts[0] and threat in parts[1]
    assert readings("kort") == ["kort"]
    assert stretches("x" * MAX_CHARS) == ["x" * MAX_CHARS]
    assert stretches("x" * (MAX_CHARS + 1)) == ["x" * MAX_CHARS] * 2


def test_a_threat_in_the_middle_of_a_long_message_is_found_by_the_encoder() -> None:
    # Over 5,000 characters, the threat in neither the first nor the last stretch.
    threat = (
        "Jag har hämtat hagelgeväret från sommarstugan. Jag ska döda henne i kväll när "
        "hon kommer hem. Hon kommer inte finnas kvar efter helgen."
    )
    chatter = "Vi var på IKEA och köpte en ny soffa och sedan åt vi köttbullar. " * 40
    signal = load_semantic_model().signal(chatter + threat + " " + chatter)
    assert signal is not None and signal.level >= RiskLevel.HIGH


def test_a_message_of_three_sentences_or_more_is_also_read_two_at_a_time() -> None:
    message = "Jobbade hela veckan. Jag har sparat tabletter till i kväll! Barnen mår bra… Hej."
    whole, *windows = readings(message, windows=True)
    assert whole == message
    assert windows == [
        "Jobbade hela veckan. Jag har sparat tabletter till i kväll!",
        "Jag har sparat tabletter till i kväll! Barnen mår bra…",
        "Barnen mår bra… Hej.",
    ]
    assert readings(message) == [message]
    assert readings("En mening. Två meningar.", windows=True) == ["En mening. Två meningar."]
    many = " ".join(f"Mening {i}." for i in range(40))
    whole, *windows = readings(many, windows=True)
    assert len(windows) == MAX_WINDOWS
    assert windows[0] == "Mening 0. Mening 1." and windows[-1] == "Mening 38. Mening 39."


def test_line_breaks_end_sentences_and_text_without_breaks_has_no_windows() -> None:
    lines = "hej\njag ska döda henne\r\nikväll"
    assert readings(lines, windows=True)[1:] == [
        "hej jag ska döda henne",
        "jag ska döda henne ikväll",
    ]
    assert readings("inga punkter alls bara en lång rad utan slut", windows=True) == [
        "inga punkter alls bara en lång rad utan slut"
    ]
    assert readings(" \n\t ", windows=True) == []


def test_highest_over_readings_is_the_lift_of_the_highest_scores() -> None:
    # Training chooses thresholds on the per-question maximum over a message's readings;
    # production lifts each reading and keeps the highest. They must agree.
    model = load_semantic_model()
    # Each score just below or above its threshold, so every level's test is exercised.
    thresholds = np.array([model.thresholds[level] for level in LEVELS[1:]])
    rng = np.random.default_rng(7)
    rows = np.clip(thresholds + rng.choice([-0.01, 0.01], size=(2000, 3, 3)), 0, 1)
    assert len({model.lift(row) for row in rows.reshape(-1, 3)}) == len(LEVELS)
    for readings_of_one in rows:
        best = max(model.lift(row) for row in readings_of_one)
        assert model.lift(readings_of_one.max(axis=0)) is best


def test_a_model_trained_with_windows_reads_them_and_keeps_the_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = dataclasses.replace(load_semantic_model(), windows=True)
    encoder = load_encoder()
    read: list[str] = []

    class Recording:
        def encode_many(self, texts: list[str]) -> np.ndarray:
            read.extend(texts)
            return encoder.encode_many(texts)

    monkeypatch.setattr(semantic, "load_encoder", Recording)
    message = "Jobbade hela veckan. Jag har sparat tabletter. Barnen mår bra."
    model.signal(message)
    assert read == readings(message, windows=True) and len(read) == 3
    model.save(tmp_path / "model.npz")
    assert SemanticModel.load(tmp_path / "model.npz").windows is True
    read.clear()
    load_semantic_model().signal(message)
    assert load_semantic_model().windows is False and read == [message]


def test_the_cache_holds_no_message_text() -> None:
    encoder = load_encoder()
    encoder.encode("hemlig kanariefågel 4711")
    assert all(isinstance(key, bytes) and b"4711" not in key for key in encoder._cache)


def test_the_encoder_is_unit_length_deterministic_and_cached() -> None:
    encoder = load_encoder()
    a = encoder.encode("jag ska döda henne ikväll")
    assert a.shape == (DIMENSION,)
    assert abs(float(np.linalg.norm(a)) - 1.0) < 1e-3
    assert np.array_equal(a, encoder.encode("jag ska döda henne ikväll"))

    # The embedding ends with the fine-tuned last layer's mean, which places the same
    # meaning in another language nearer than the same words in another meaning.
    def sentence(vector: np.ndarray) -> np.ndarray:
        last = vector[-HIDDEN:]
        return last / np.linalg.norm(last)

    same_meaning = encoder.encode("I am going to kill her tonight")
    idiom = encoder.encode("jag dör av skratt")
    assert float(sentence(a) @ sentence(same_meaning)) > float(sentence(a) @ sentence(idiom))


def test_heads_learn_a_separable_toy_problem() -> None:
    rng = np.random.default_rng(1)
    x = np.concatenate([rng.normal(-2, 1, (60, 5)), rng.normal(2, 1, (60, 5))])
    y = np.array([0] * 60 + [1] * 60, dtype=np.int64)
    head = logreg.fit(x, y, 2, steps=300)
    assert (head.probabilities(x).argmax(axis=1) == y).mean() > 0.95


def test_question_heads_calibrate_margins_and_round_trip() -> None:
    rng = np.random.default_rng(2)
    x = np.concatenate([rng.normal(-1, 1, (80, 4)), rng.normal(1, 1, (80, 4))])
    yes = np.array([False] * 80 + [True] * 80)
    raw = QuestionHeads.uncalibrated(np.ones((3, 4)), np.zeros(3))
    margins = raw.margins(x)
    assert margins.shape == (160, 3) and ((margins[:, 0] > 0) == yes).mean() > 0.9
    a, b = fit_platt(margins[:, 0], yes)
    assert a > 0
    heads = raw.calibrated(np.array([[a, b]] * 3))
    probs = heads.probabilities(x)
    assert np.all((probs > 0) & (probs < 1))
    assert probs[yes, 0].mean() > 0.8 and probs[~yes, 0].mean() < 0.2
    again = QuestionHeads.from_arrays(heads.arrays())
    assert np.array_equal(again.probabilities(x), probs)


def test_question_heads_of_the_wrong_shape_are_refused() -> None:
    arrays = QuestionHeads.uncalibrated(np.ones((3, 4)), np.zeros(3)).arrays()
    with pytest.raises(ValueError, match="wrong shape"):
        QuestionHeads.from_arrays({**arrays, "questions_bias": np.zeros(2)})
    with pytest.raises(ValueError, match="wrong shape"):
        QuestionHeads.from_arrays({**arrays, "questions_platt": np.zeros((3, 3))})


def test_temperature_calibration_softens_overconfident_logits() -> None:
    y = np.array([0, 1] * 50, dtype=np.int64)
    noisy = np.where(np.arange(100) % 5 == 0, 1 - y, y)  # 20 % of labels disagree
    logits = np.stack([np.where(noisy == 0, 10.0, -10.0), np.where(noisy == 1, 10.0, -10.0)], 1)
    assert logreg.fit_temperature(logits, y) > 2.0


def test_lift_uses_cumulative_probabilities() -> None:
    model = load_semantic_model()
    t = model.thresholds
    assert 0 < t[RiskLevel.HIGH] < 1 and 0.5 <= t[RiskLevel.IMMINENT] <= 1
    assert model.lift(np.array([0.0, 0.0, 0.0])) is RiskLevel.NONE
    assert model.lift(np.array([1.0, t[RiskLevel.HIGH], 0.0])) is RiskLevel.HIGH
    below = np.nextafter(t[RiskLevel.HIGH], 0)
    assert model.lift(np.array([1.0, below, 0.0])) is RiskLevel.ELEVATED
    assert model.lift(np.array([1.0, 1.0, 1.0])) is RiskLevel.IMMINENT


def test_the_committed_model_round_trips_and_names_taxonomy_categories(tmp_path: Path) -> None:
    model = load_semantic_model()
    assert set(model.categories) == set(load_taxonomy())
    model.save(tmp_path / "m.npz")
    again = SemanticModel.load(tmp_path / "m.npz")
    texts = ["jag har kniven i bilen och åker dit nu", "hej"]
    vectors = load_encoder().encode_many(texts)
    assert again.assess_vectors(vectors, texts) == model.assess_vectors(vectors, texts)
    assert again.lexical and len(again.mix) == 3
    signal = model.signal("jag har kniven i bilen och åker till hennes lägenhet nu")
    assert signal is not None and signal.level >= RiskLevel.HIGH
    assert signal.category in load_taxonomy()


def test_the_committed_model_was_trained_on_the_current_training_data() -> None:
    train, _ = split(load_all())
    assert load_semantic_model().data_digest == data_digest(train), (
        "the data changed: run `make risk-finetune` and commit the adapter and the model"
    )


def test_the_committed_heads_read_the_committed_encoder() -> None:
    assert load_semantic_model().encoder_digest == read_adapter(committed_adapter_path()).digest, (
        "the encoder was fine-tuned again: run `.venv-dev/bin/python -m safety.risk.train`"
    )


def test_the_ordinary_page_budget_holds_in_each_language() -> None:
    # Swedish ordinary messages score higher than English ones: a pooled budget would
    # let Swedish page more than the budget allows.
    rows = 400
    languages = np.array(["sv"] * (rows // 2) + ["en"] * (rows // 2))
    ordinary = np.ones(rows, dtype=bool)
    gold = np.zeros(rows, dtype=np.int64)
    high_scores = np.where(languages == "sv", np.linspace(0, 0.6, rows), 0.05)
    scores = np.stack([np.zeros(rows), high_scores, np.zeros(rows)], axis=1)
    thresholds = choose_thresholds(scores, gold, ordinary, languages)
    swedish = scores[languages == "sv", 1]
    assert (swedish >= thresholds[RiskLevel.HIGH]).mean() <= ORDINARY_PAGE_BUDGET
    pooled = (scores[:, 1] >= thresholds[RiskLevel.HIGH]).mean()
    assert pooled < ORDINARY_PAGE_BUDGET / 2 + 0.01  # the stricter language decided
