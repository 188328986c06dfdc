"""Train the risk classifier on `data/risk/train.jsonl` and write its committed JSON model.

    .venv/bin/python -m safety.risk.train            # writes safety/risk/classifier_model.json

Deterministic: examples are sorted by id and shuffled with a fixed seed. Lift thresholds
come from 5-fold cross-validation on the training data only (the test set is never
read here): the smallest threshold that keeps the classifier's own false lifts within
budget. Prints counts and thresholds, never message text.
"""

from __future__ import annotations

import argparse
import json
import math
import random
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from safety.risk.classifier import MODEL_FILE, Model, features
from safety.risk.dataset import TRAIN_PATH, Example, load_examples
from safety.risk.levels import LEVELS, RiskLevel
from safety.risk.normalise import normalise
from safety.risk.patterns import load_lexicon, mask_safe_phrases

EPOCHS = 20
LEARNING_RATE = 0.1
L2 = 0.03
MIN_DOC_FREQ = 2
FOLDS = 5
SEED = 20261121
# Largest share of lower-labelled training messages the classifier may lift, out of fold.
BUDGET = {RiskLevel.ELEVATED: 0.03, RiskLevel.HIGH: 0.02}
GRID = [round(0.5 + 0.05 * i, 2) for i in range(10)] + [0.97, 0.98, 0.99]

Sample = tuple[list[str], int]


def prepare(examples: Sequence[Example]) -> list[Sample]:
    """Normalise and mask like production, then extract features."""
    lexicon = load_lexicon()
    ordered = sorted(examples, key=lambda e: e.example_id)
    return [
        (features(mask_safe_phrases(lexicon, normalise(e.text))), e.level.rank) for e in ordered
    ]


def fit(samples: Sequence[Sample]) -> Model:
    """Softmax regression trained with AdaGrad SGD and lazy L2; rare features dropped."""
    freq = Counter(f for feats, _ in samples for f in feats)
    vocab = {f for f, n in freq.items() if n >= MIN_DOC_FREQ}
    k = len(LEVELS)
    weights: dict[str, list[float]] = {f: [0.0] * k for f in sorted(vocab)}
    accum: dict[str, list[float]] = {f: [1e-8] * k for f in weights}
    bias, bias_acc = [0.0] * k, [1e-8] * k
    order = list(range(len(samples)))
    rng = random.Random(SEED)
    for _ in range(EPOCHS):
        rng.shuffle(order)
        for idx in order:
            feats = [f for f in samples[idx][0] if f in weights]
            scores = list(bias)
            for f in feats:
                for c, w in enumerate(weights[f]):
                    scores[c] += w
            top = max(scores)
            exps = [math.exp(s - top) for s in scores]
            total = sum(exps)
            grad = [e / total - (1.0 if c == samples[idx][1] else 0.0) for c, e in enumerate(exps)]
            for c in range(k):
                bias_acc[c] += grad[c] ** 2
                bias[c] -= LEARNING_RATE * grad[c] / math.sqrt(bias_acc[c])
            for f in feats:
                row, acc = weights[f], accum[f]
                for c in range(k):
                    g = grad[c] + L2 * row[c]
                    acc[c] += g * g
                    row[c] -= LEARNING_RATE * g / math.sqrt(acc[c])
    return Model(tuple(bias), {f: tuple(r) for f, r in weights.items()}, {})


def choose_thresholds(samples: Sequence[Sample]) -> dict[RiskLevel, float]:
    """Per-level lift thresholds from out-of-fold probabilities (training data only)."""
    oof: list[tuple[tuple[float, ...], int]] = []
    for fold in range(FOLDS):
        train = [s for i, s in enumerate(samples) if i % FOLDS != fold]
        model = fit(train)
        oof += [
            (model.probabilities_of(feats), label)
            for i, (feats, label) in enumerate(samples)
            if i % FOLDS == fold
        ]
    chosen: dict[RiskLevel, float] = {}
    for level, budget in BUDGET.items():
        lower = [p for p, label in oof if label < level.rank]
        for tau in GRID:
            lifted = sum(1 for p in lower if sum(p[level.rank :]) >= tau)
            if lifted <= budget * len(lower):
                chosen[level] = tau
                break
        else:
            chosen[level] = 1.1  # never lift to this level
    return chosen


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Train the risk classifier.")
    parser.add_argument("--data", type=Path, default=TRAIN_PATH)
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name(MODEL_FILE))
    args = parser.parse_args(argv)
    samples = prepare(load_examples(args.data))
    thresholds = choose_thresholds(samples)
    model = fit(samples)
    model = Model(model.bias, model.weights, thresholds)
    args.out.write_text(json.dumps(model.to_json(), ensure_ascii=False, indent=0) + "\n", "utf-8")
    shown = ", ".join(f"{lv.value}>={t}" for lv, t in thresholds.items())
    print(f"trained on {len(samples)} examples, {len(model.weights)} features; lift: {shown}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
