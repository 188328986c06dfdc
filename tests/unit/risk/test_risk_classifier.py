"""The classifier: deterministic, thresholded, capped, and reproducible from the data."""

from __future__ import annotations

from pathlib import Path

from safety.risk import train
from safety.risk.classifier import MODEL_FILE, Model, features, load_model
from safety.risk.levels import LEVELS, RiskLevel
from safety.risk.normalise import normalise

NONE, ELEVATED, HIGH, IMMINENT = LEVELS


def test_features_are_words_bigrams_and_char_ngrams() -> None:
    feats = features("ska doda")
    assert "w:ska" in feats
    assert "b:ska_doda" in feats
    assert "c: do" in feats
    assert "c:oda " in feats
    assert features("a _ , b") == features("a b")  # mask and punctuation tokens are ignored


def test_inference_is_deterministic() -> None:
    model = load_model()
    text = normalise("jag vet var hon bor nu och jag är så arg")
    first = model.probabilities(text)
    assert first == model.probabilities(text)
    assert abs(sum(first) - 1.0) < 1e-9
    assert Model.from_json(model.to_json()).probabilities(text) == first


def _toy(bias: tuple[float, ...], thresholds: dict[RiskLevel, float]) -> Model:
    return Model(bias=bias, weights={}, thresholds=thresholds)


def test_lift_needs_the_threshold() -> None:
    unsure = _toy((0.0, 0.0, 0.0, 0.0), {ELEVATED: 0.9, HIGH: 0.9})  # P(>=elevated) = 0.75
    assert unsure.lift(unsure.probabilities("x")) is NONE
    assert unsure.signal("x") is None


def test_classifier_alone_never_says_imminent() -> None:
    sure = _toy((-20.0, -20.0, -20.0, 20.0), {ELEVATED: 0.5, HIGH: 0.5})
    signal = sure.signal("anything")
    assert signal is not None
    assert signal.level is HIGH
    assert signal.source == "classifier"


def test_committed_model_is_what_training_produces(tmp_path: Path) -> None:
    out = tmp_path / MODEL_FILE
    assert train.main(["--out", str(out)]) == 0
    committed = Path(train.__file__).with_name(MODEL_FILE)
    assert out.read_text(encoding="utf-8") == committed.read_text(encoding="utf-8")
