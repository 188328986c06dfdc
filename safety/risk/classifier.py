"""A small statistical second opinion: multinomial logistic regression over n-grams.

Why this model:
* speed: inference is one dictionary lookup per feature and four sums, ~tens of µs for a
  phone message, in pure Python with no dependency to install or audit;
* explainability: every weight belongs to a readable feature ("w:kniv", "c:kil "), so a
  reviewer can ask which features pushed a message up, and the whole model is a
  committed JSON file that diffs like code;
* calibration: unlike naive Bayes, logistic regression gives usable probabilities, so a
  confidence threshold means something;
* determinism: fixed feature order and stored weights give the same answer every run.

Features (on the normalised, idiom-masked text, counted as a bag): words, word bigrams
and character 3- and 4-grams inside words; the char n-grams carry Swedish compounds and inflections
("knivhögg", "strypte") and survive typos.

Guard against over-escalation: the classifier lifts a message to level L only if the
probability of "L or higher" reaches the trained threshold for L, and it never says
more than HIGH on its own. Imminent, which pages the on-call mediator, needs an
explicit pattern (a means, a place or a time).
"""

from __future__ import annotations

import itertools
import json
import math
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from safety.risk.levels import LEVELS, RiskLevel, Signal

MODEL_FILE = "classifier_model.json"
CAP = RiskLevel.HIGH
WORD_CACHE_SIZE = 50_000


def _words(text: str) -> list[str]:
    return [w for w in text.split() if w.isalnum()]


def word_features(word: str) -> list[str]:
    """The word itself and its character 3- and 4-grams (with word-edge spaces)."""
    padded = f" {word} "
    grams = [padded[i : i + n] for n in (3, 4) for i in range(len(padded) - n + 1)]
    return [f"w:{word}"] + [f"c:{g}" for g in grams]


def _bigrams(words: list[str]) -> list[str]:
    return [f"b:{a}_{b}" for a, b in itertools.pairwise(words)]


def features(text: str) -> list[str]:
    """Feature occurrences (a bag: repeats count) for normalised text, in a fixed order."""
    words = _words(text)
    return [f for w in words for f in word_features(w)] + _bigrams(words)


@dataclass(frozen=True, slots=True)
class Model:
    """Weights per feature and class (classes in `LEVELS` order) plus lift thresholds."""

    bias: tuple[float, ...]
    weights: dict[str, tuple[float, ...]]
    thresholds: dict[RiskLevel, float]
    _word_cache: dict[str, tuple[float, ...] | None] = field(
        default_factory=dict, repr=False, compare=False
    )

    def _sum(self, feats: list[str]) -> tuple[float, ...] | None:
        rows = [row for row in map(self.weights.get, feats) if row is not None]
        return tuple(map(sum, zip(*rows, strict=True))) if rows else None

    def _word_vector(self, word: str) -> tuple[float, ...] | None:
        """Summed weights of a word's features; memoised, since words repeat (Zipf)."""
        cache = self._word_cache
        if word not in cache:
            if len(cache) >= WORD_CACHE_SIZE:
                cache.clear()
            cache[word] = self._sum(word_features(word))
        return cache[word]

    def probabilities(self, text: str) -> tuple[float, ...]:
        """P(level) for each level in `LEVELS` order."""
        words = _words(text)
        parts = [self._word_vector(w) for w in words] + [self._sum(_bigrams(words))]
        return self._softmax([p for p in parts if p is not None])

    def probabilities_of(self, feats: list[str]) -> tuple[float, ...]:
        """P(level) for already-extracted features (used in training)."""
        total = self._sum(feats)
        return self._softmax([total] if total is not None else [])

    def _softmax(self, parts: list[tuple[float, ...]]) -> tuple[float, ...]:
        scores = list(self.bias)
        for part in parts:
            for k, w in enumerate(part):
                scores[k] += w
        top = max(scores)
        exps = [math.exp(s - top) for s in scores]
        total = sum(exps)
        return tuple(e / total for e in exps)

    def lift(self, probs: tuple[float, ...]) -> RiskLevel:
        """Highest level L (capped at `CAP`) with P(level >= L) >= threshold[L]."""
        best = RiskLevel.NONE
        for level in LEVELS[1:]:
            at_least = sum(probs[level.rank :])
            if level <= CAP and at_least >= self.thresholds.get(level, 1.1):
                best = level
        return best

    def signal(self, text: str) -> Signal | None:
        """The classifier's signal for normalised text, or None if it stays below ELEVATED."""
        probs = self.probabilities(text)
        level = self.lift(probs)
        if level is RiskLevel.NONE:
            return None
        return Signal("classifier", level, "classifier", f"p>={sum(probs[level.rank :]):.2f}")

    def to_json(self) -> dict[str, Any]:
        return {
            "format": 1,
            "classes": [lv.value for lv in LEVELS],
            "bias": [round(b, 5) for b in self.bias],
            "thresholds": {lv.value: t for lv, t in self.thresholds.items()},
            "weights": {f: [round(w, 5) for w in row] for f, row in sorted(self.weights.items())},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Model:
        if data.get("format") != 1 or data.get("classes") != [lv.value for lv in LEVELS]:
            raise ValueError("classifier model: unsupported format or classes")
        return cls(
            bias=tuple(float(b) for b in data["bias"]),
            weights={str(f): tuple(float(w) for w in row) for f, row in data["weights"].items()},
            thresholds={RiskLevel.parse(k): float(v) for k, v in data["thresholds"].items()},
        )


@lru_cache(maxsize=1)
def load_model() -> Model:
    """Load the committed model (cached for the process)."""
    text = resources.files("safety.risk").joinpath(MODEL_FILE).read_text(encoding="utf-8")
    return Model.from_json(json.loads(text))
