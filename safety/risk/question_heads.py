"""The screen's three yes/no questions, answered from the fine-tuned embedding.

P(≥ elevated), P(≥ high) and P(imminent) are each a linear function of the embedding,
trained with the encoder's adapter (`safety.risk.finetune`) and calibrated by Platt
scaling on out-of-fold margins (`safety.risk.train`). One matrix product for all
three: a fine-tuned encoder separates what the kernel machines over the published
embedding had to carve out with 28 MB of support vectors.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from safety.risk.calibration import sigmoid

if TYPE_CHECKING:
    from numpy.typing import NDArray

QUESTIONS = 3  # at least elevated, at least high, imminent


@dataclass(frozen=True)
class QuestionHeads:
    weights: NDArray[np.float64]  # [dimension, 3]
    bias: NDArray[np.float64]  # [3]
    platt: NDArray[np.float64]  # [3, 2]: per question, a and b of sigmoid(a·margin + b)

    def margins(self, x: NDArray[np.floating]) -> NDArray[np.float64]:
        result: NDArray[np.float64] = np.atleast_2d(x).astype(np.float64) @ self.weights + self.bias
        return result

    def probabilities(self, x: NDArray[np.floating]) -> NDArray[np.float64]:
        """Per row: calibrated P(≥ elevated), P(≥ high), P(imminent)."""
        return sigmoid(self.platt[:, 0] * self.margins(x) + self.platt[:, 1])

    def calibrated(self, platt: NDArray[np.float64]) -> QuestionHeads:
        return QuestionHeads(self.weights, self.bias, np.asarray(platt, dtype=np.float64))

    def arrays(self) -> dict[str, NDArray[np.float64]]:
        return {"questions_weights": self.weights, "questions_bias": self.bias,
                "questions_platt": self.platt}  # fmt: skip

    @classmethod
    def from_arrays(cls, data: Mapping[str, Any]) -> QuestionHeads:
        weights = np.asarray(data["questions_weights"], dtype=np.float64)
        bias = np.asarray(data["questions_bias"], dtype=np.float64)
        platt = np.asarray(data["questions_platt"], dtype=np.float64)
        if weights.ndim != 2 or weights.shape[1] != QUESTIONS or bias.shape != (QUESTIONS,):
            raise ValueError("question heads have the wrong shape")
        if platt.shape != (QUESTIONS, 2):
            raise ValueError("question calibration has the wrong shape")
        return cls(weights, bias, platt)

    @classmethod
    def uncalibrated(
        cls, weights: NDArray[np.floating], bias: NDArray[np.floating]
    ) -> QuestionHeads:
        """From the network's own layer ([3, dimension] weights, as PyTorch stores them)."""
        return cls(
            np.asarray(weights, dtype=np.float64).T.copy(),
            np.asarray(bias, dtype=np.float64),
            np.tile(np.array([1.0, 0.0]), (QUESTIONS, 1)),
        )
