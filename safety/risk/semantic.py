"""The screen's learned opinion: calibrated classifier heads over the message.

* Three yes/no questions (P(≥ elevated), P(≥ high), P(imminent)), each answered by a
  linear head over the fine-tuned sentence embedding (`question_heads.py`) mixed with a
  lexical head over character n-grams of the text (`lexical.py`), then calibrated on
  out-of-fold predictions. A message is lifted to level L when P(level ≥ L) reaches the threshold
  for L, chosen on family-held-out folds of the training data (`train.py`).
* A category head naming the taxonomy category, so a page says what kind of risk it
  is (`weapon`, `strangulation`, …) without quoting anyone.

A message is read as one. A model trained with `windows` (`SAMTAL_RISK_WINDOWS=1`
in training) would also read a message of three or more sentences two sentences at a
time, highest wins, with thresholds chosen out of fold on the same readings. Cross-
validation rejected it: the windows of everyday check-ins paged so often that the
threshold had to rise, and recall fell (docs/safety.md); the shipped model does not.
The model file is `semantic_model.npz` (NumPy arrays only, loaded without pickle).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from safety.risk.encoder import MAX_CHARS, load_encoder
from safety.risk.levels import LEVELS, RiskLevel, Signal
from safety.risk.lexical import LexicalHead, term_counts
from safety.risk.logreg import Softmax
from safety.risk.question_heads import QuestionHeads
from safety.risk.taxonomy import NONE_CATEGORY

if TYPE_CHECKING:
    from numpy.typing import NDArray

MODEL_FILE = "semantic_model.npz"


# What the encoder is given instead of a control, format or surrogate character.
_VISIBLE = {"Cc": " ", "Cf": " ", "Cs": "\ufffd"}


def prepare(text: str) -> str:
    """The text the encoder reads: control characters become spaces (the C engine would
    stop at a NUL and never see the rest), whitespace runs are folded. A lone surrogate
    (JSON's ``"\\ud800"`` decodes to one) becomes U+FFFD: the engine takes UTF-8, which
    cannot carry it, and the rest of the message must still be read."""
    visible = "".join(_VISIBLE.get(unicodedata.category(ch), ch) for ch in text)
    return " ".join(visible.split())


# A sentence ends at . ! ? … (or their Arabic and CJK forms) before a space, and at a
# line break: phones send one thought per line.
_SENTENCE_END = re.compile(r"(?<=[.!?…؟。！？])\s+|\s*[\n\r\u2028\u2029]+\s*")
WINDOW_MIN_SENTENCES = 3
# Bounds the encoder's work on one message (each window is one more reading).
MAX_WINDOWS = 16


def sentence_windows(text: str) -> list[str]:
    """Each two neighbouring sentences of a message of three or more, else none; of
    more windows than `MAX_WINDOWS`, the first and the last half of them."""
    sentences = [sentence for part in _SENTENCE_END.split(text) if (sentence := prepare(part))]
    if len(sentences) < WINDOW_MIN_SENTENCES:
        return []
    pairs = [f"{first} {second}"[:MAX_CHARS] for first, second in pairwise(sentences)]
    if len(pairs) > MAX_WINDOWS:
        pairs = pairs[: MAX_WINDOWS // 2] + pairs[-MAX_WINDOWS // 2 :]
    return pairs


# Neighbouring stretches of a long message share this much text, so a sentence that
# one stretch cuts is read whole in the next.
STRETCH_OVERLAP = 300


def stretches(prepared: str) -> list[str]:
    """A text as one reading, or, longer than one reading holds, as overlapping
    stretches from its start to its end: risk buried in the middle of a long message
    is read like risk at its start. A 64 KB message is about 38 readings."""
    if len(prepared) <= MAX_CHARS:
        return [prepared]
    step = MAX_CHARS - STRETCH_OVERLAP
    starts = [*range(0, len(prepared) - MAX_CHARS, step), len(prepared) - MAX_CHARS]
    return [prepared[start : start + MAX_CHARS] for start in starts]


def readings(text: str, windows: bool = False) -> list[str]:
    """What the encoder reads of a message: all of it, in stretches if it is long;
    with `windows`, then its sentences two at a time."""
    prepared = prepare(text)
    if not prepared:
        return []
    whole = stretches(prepared)
    return whole + sentence_windows(text) if windows else whole


def lift(
    cumulative: NDArray[np.float64], thresholds: dict[RiskLevel, float], imminent_as_high: float
) -> RiskLevel:
    """Highest level L with P(level ≥ L) ≥ threshold[L]; P(imminent) at or above
    `imminent_as_high` lifts to at least high."""
    best = RiskLevel.NONE
    for level in LEVELS[1:]:
        if float(cumulative[level.rank - 1]) >= thresholds[level]:
            best = level
    if best < RiskLevel.HIGH and float(cumulative[2]) >= imminent_as_high:
        best = RiskLevel.HIGH
    return best


@dataclass(frozen=True)
class SemanticModel:
    """The two heads and the lift thresholds (P(level ≥ L) for L = elevated, high, imminent)."""

    questions: QuestionHeads  # P(≥ elevated), P(≥ high), P(imminent)
    category_head: Softmax
    categories: tuple[str, ...]
    thresholds: dict[RiskLevel, float]
    data_digest: str = ""  # SHA-256 of the training data it was fitted on
    # P(imminent) at or above this lifts to at least high even when P(≥ high) is lower:
    # the imminent question is the most sensitive detector of the worst messages.
    imminent_as_high: float = 1.0
    # Per question, a lexical head over the text (empty: the embedding alone) and the
    # mix: (weight of the lexical head, Platt a, Platt b of the weighted mean).
    lexical: tuple[LexicalHead, ...] = ()
    mix: tuple[tuple[float, float, float], ...] = ()
    # SHA-256 of the encoder adapter whose embedding the heads read: heads calibrated
    # for one fine-tuning are wrong for another.
    encoder_digest: str = ""
    # Whether a long message is also read two sentences at a time (`readings`): the
    # thresholds were chosen reading it so.
    windows: bool = False

    def cumulative(
        self, vectors: NDArray[np.floating], texts: Sequence[str]
    ) -> NDArray[np.float64]:
        """Per row (a reading: its embedding and its text): P(≥ elevated), P(≥ high),
        P(imminent)."""
        semantic = self.questions.probabilities(vectors)
        if not self.lexical:
            return semantic
        counts = [term_counts(text) for text in texts]
        lexical = np.stack([head.probability_of(counts) for head in self.lexical], axis=1)
        weight, a, b = (np.array(column) for column in zip(*self.mix, strict=True))
        mixed = (1 - weight) * semantic + weight * lexical
        result: NDArray[np.float64] = 1 / (1 + np.exp(-(a * mixed + b)))
        return result

    def lift(self, cumulative: NDArray[np.float64]) -> RiskLevel:
        """Highest level L with P(level ≥ L) ≥ threshold[L]."""
        return lift(cumulative, self.thresholds, self.imminent_as_high)

    def category(self, vector: NDArray[np.floating]) -> str:
        """The most probable category other than none."""
        probs = self.category_head.probabilities(vector)[0]
        order = np.argsort(-probs)
        for index in order:
            if self.categories[int(index)] != NONE_CATEGORY:
                return self.categories[int(index)]
        return NONE_CATEGORY

    def assess_vectors(self, vectors: NDArray[np.floating], texts: Sequence[str]) -> Signal | None:
        """The signal for a message given its readings' embeddings and texts (highest
        wins)."""
        if len(vectors) == 0:
            return None
        probs = self.cumulative(vectors, texts)
        lifted = [self.lift(p) for p in probs]
        best = max(range(len(lifted)), key=lambda i: (lifted[i].rank, -i))
        level = lifted[best]
        if level is RiskLevel.NONE:
            return None
        at_least = float(probs[best][level.rank - 1])
        return Signal(self.category(vectors[best]), level, "classifier", f"p>={at_least:.2f}")

    def signal(self, text: str) -> Signal | None:
        """The encoder's signal for one message, or None below elevated."""
        parts = readings(text, self.windows)
        if not parts:
            return None
        return self.assess_vectors(load_encoder().encode_many(parts), parts)

    def save(self, path: Path) -> None:
        arrays: dict[str, Any] = dict(self.questions.arrays())
        for index, head in enumerate(self.lexical):
            arrays.update(head.arrays(f"lex{index}"))
        if self.mix:
            arrays["mix"] = np.array(self.mix, dtype=np.float64)
        arrays.update(
            data_digest=np.array(self.data_digest),
            encoder_digest=np.array(self.encoder_digest),
            windows=np.array(self.windows),
            category_weights=self.category_head.weights.astype(np.float32),
            category_bias=self.category_head.bias.astype(np.float32),
            categories=np.array(self.categories),
            thresholds=np.array(
                [*(self.thresholds[lv] for lv in LEVELS[1:]), self.imminent_as_high],
                dtype=np.float64,
            ),
        )
        np.savez_compressed(path, **arrays)

    @classmethod
    def load(cls, source: Path | object) -> SemanticModel:
        with np.load(source, allow_pickle=False) as data:  # type: ignore[arg-type]
            *levels, imminent_as_high = (float(t) for t in data["thresholds"])
            thresholds = dict(zip(LEVELS[1:], levels, strict=True))
            return cls(
                questions=QuestionHeads.from_arrays(data),
                category_head=Softmax(
                    data["category_weights"].astype(np.float64),
                    data["category_bias"].astype(np.float64),
                ),
                categories=tuple(str(c) for c in data["categories"]),
                thresholds=thresholds,
                data_digest=str(data["data_digest"]),
                encoder_digest=str(data["encoder_digest"]) if "encoder_digest" in data else "",
                windows=bool(data["windows"]) if "windows" in data else False,
                imminent_as_high=imminent_as_high,
                lexical=tuple(
                    LexicalHead.from_arrays(data, f"lex{i}")
                    for i in range(3)
                    if f"lex{i}_weights" in data
                ),
                mix=tuple(
                    (float(w), float(a), float(b))
                    for w, a, b in (data["mix"] if "mix" in data else ())
                ),
            )


@lru_cache(maxsize=1)
def load_semantic_model() -> SemanticModel:
    """The committed model (cached for the process)."""
    with resources.as_file(resources.files("safety.risk").joinpath(MODEL_FILE)) as path:
        return SemanticModel.load(path)
