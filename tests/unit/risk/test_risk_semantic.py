"""The encoder heads: pinned weights, deterministic maths, sentences read apart, fresh model."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from safety.risk import logreg
from safety.risk.assess import assess
from safety.risk.context import RiskContext
from safety.risk.dataset import data_digest, load_all, split
from safety.risk.encoder import DIMENSION, load_encoder
from safety.risk.encoder.runtime import HIDDEN
from safety.risk.kernel import KernelBank, fit_platt
from safety.risk.levels import RiskLevel
from safety.risk.semantic import SemanticModel, load_semantic_model, prepare, readings
from safety.risk.taxonomy import load_taxonomy
from safety.risk.train import ORDINARY_PAGE_BUDGET, choose_thresholds, fit_question


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


def test_a_long_message_is_read_at_both_ends() -> None:
    threat = "jag har kniven i bilen och åker till hennes lägenhet nu"
    chatter = "Vi var på IKEA och köpte en ny soffa och sedan åt vi köttbullar. " * 40
    first, last = readings(chatter + threat)
    assert first.startswith("Vi var på IKEA") and last.endswith(threat)
    assert readings("kort") == ["kort"]


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

    # The embedding ends with e5's sentence embedding (the last layer's mean), which
    # places the same meaning in another language nearer than the same words in
    # another meaning; the middle layers before it keep more of the wording.
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


def test_the_numpy_kernel_export_agrees_with_platt_and_margins() -> None:
    rng = np.random.default_rng(2)
    x = np.concatenate([rng.normal(-1, 1, (80, 4)), rng.normal(1, 1, (80, 4))])
    yes = np.array([False] * 80 + [True] * 80)
    scorer = fit_question(x, yes)
    margins = scorer.margin(x)
    assert ((margins > 0) == yes).mean() > 0.9
    a, b = fit_platt(margins, yes)
    assert a > 0
    calibrated = scorer.calibrated(a, b)
    probs = calibrated.probability(x)
    assert np.all((probs > 0) & (probs < 1))
    assert probs[yes].mean() > 0.8 and probs[~yes].mean() < 0.2


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
    assert again.lexical and len(again.mix) == len(again.questions)
    signal = model.signal("jag har kniven i bilen och åker till hennes lägenhet nu")
    assert signal is not None and signal.level >= RiskLevel.HIGH
    assert signal.category in load_taxonomy()


def test_the_committed_model_was_trained_on_the_current_training_data() -> None:
    train, _ = split(load_all())
    assert load_semantic_model().data_digest == data_digest(train), (
        "the data changed: run `.venv-dev/bin/python -m safety.risk.train` and commit the model"
    )


def test_the_kernel_bank_gives_each_machines_own_probabilities() -> None:
    rng = np.random.default_rng(7)
    x = rng.normal(size=(90, 6))
    answers = (x[:, 0] > 0, x[:, 1] > 0.3, x[:, 0] + x[:, 2] > 1)
    machines = tuple(
        fit_question(x, yes).calibrated(1.5 + i, -0.2 * i) for i, yes in enumerate(answers)
    )
    bank = KernelBank.of(machines)
    assert bank is not None and len(bank.support) < sum(len(m.support) for m in machines)
    probe = rng.normal(size=(5, 6))
    one_by_one = np.stack([m.probability(probe) for m in machines], axis=1)
    assert np.allclose(bank.probabilities(probe), one_by_one, atol=1e-6)


def test_machines_in_different_spaces_are_not_banked() -> None:
    rng = np.random.default_rng(8)
    x = rng.normal(size=(60, 4))
    first = fit_question(x, x[:, 0] > 0)
    other = fit_question(x * 3, x[:, 1] > 0)  # another standardisation
    assert KernelBank.of((first, other)) is None


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
