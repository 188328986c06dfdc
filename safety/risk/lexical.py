"""A lexical head: logistic regression over hashed n-grams of the folded text.

The sentence encoder places a message by its overall meaning and topic; it often
ranks an everyday message about the children, a car and a time near a dangerous one.
Character n-grams see the words themselves ("tabletter", "rope", "kniv", "tracker"),
whatever the spelling games `normalise` undoes. Mixed with the embedding heads it
raised recall at the same share of ordinary messages paged, in grouped
cross-validation over the training families (docs/safety.md); alone it is weaker.

Features: every 2- to 5-character n-gram of each word of `normalise(text)`, padded
with a space at each end, and every word and pair of adjacent words, hashed with
CRC-32 into `BUCKETS` buckets; sublinear term
frequency times a smoothed inverse document frequency, scaled to unit length. The same
code builds the features in training and in production; the weights are NumPy arrays.
"""

from __future__ import annotations

import zlib
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from safety.risk.normalise import normalise

if TYPE_CHECKING:
    from numpy.typing import NDArray

BUCKETS = 1 << 17
SHORTEST, LONGEST = 2, 5


Counts = tuple["NDArray[np.int64]", "NDArray[np.float64]"]


def term_counts(text: str) -> Counts:
    """Bucket ids of the message's n-grams and their sublinear counts (1 + ln count)."""
    words = normalise(text).split()
    grams = [
        padded[start : start + n]
        for padded in (f" {word} ".encode() for word in words)
        for n in range(SHORTEST, LONGEST + 1)
        for start in range(len(padded) - n + 1)
    ]
    # Whole words and word pairs, marked apart from the character n-grams.
    # (A message of emoji only normalises to no words at all.)
    for index, first in enumerate(words):
        grams.append(f"\x01{first}".encode())
        if index + 1 < len(words):
            grams.append(f"\x01{first} {words[index + 1]}".encode())
    # The hashing in one pass of C; the buckets keep the order they first occur in, so
    # the heads sum their products in the same order in training and in production.
    counts = Counter(crc % BUCKETS for crc in map(zlib.crc32, grams))
    ids = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
    tf = 1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))
    return ids, tf


@dataclass(frozen=True)
class LexicalHead:
    """P(yes | text) = sigmoid(a · (w · features(text) + bias) + b)."""

    idf: NDArray[np.float64]
    weights: NDArray[np.float64]
    bias: float
    platt_a: float = 1.0
    platt_b: float = 0.0

    def margin(self, texts: Sequence[str]) -> NDArray[np.float64]:
        return self.margin_of([term_counts(text) for text in texts])

    def margin_of(self, counts: Sequence[Counts]) -> NDArray[np.float64]:
        """Margins from `term_counts` already taken (the three heads share them)."""
        out = np.empty(len(counts))
        for row, (ids, tf) in enumerate(counts):
            values = tf * self.idf[ids]
            norm = float(np.sqrt(values @ values))
            out[row] = (values @ self.weights[ids]) / norm + self.bias if norm else self.bias
        return out

    def probability_of(self, counts: Sequence[Counts]) -> NDArray[np.float64]:
        result: NDArray[np.float64] = 1 / (
            1 + np.exp(-(self.platt_a * self.margin_of(counts) + self.platt_b))
        )
        return result

    def calibrated(self, platt_a: float, platt_b: float) -> LexicalHead:
        return LexicalHead(self.idf, self.weights, self.bias, platt_a, platt_b)

    def arrays(self, prefix: str) -> dict[str, NDArray[np.float64]]:
        return {
            f"{prefix}_idf": self.idf.astype(np.float32),
            f"{prefix}_weights": self.weights.astype(np.float32),
            f"{prefix}_scalars": np.array([self.bias, self.platt_a, self.platt_b]),
        }

    @classmethod
    def from_arrays(cls, data: Mapping[str, Any], prefix: str) -> LexicalHead:
        bias, platt_a, platt_b = (float(v) for v in data[f"{prefix}_scalars"])
        return cls(
            idf=data[f"{prefix}_idf"].astype(np.float64),
            weights=data[f"{prefix}_weights"].astype(np.float64),
            bias=bias,
            platt_a=platt_a,
            platt_b=platt_b,
        )
