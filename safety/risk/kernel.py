"""A calibrated kernel machine answering one yes/no question about a message's embedding.

The screen asks three cumulative questions: is this at least elevated, at least high,
imminent? Each is a support-vector machine with a Gaussian (RBF) kernel, trained with
scikit-learn (`safety.risk.train`) and run here in NumPy from its support vectors, so
production needs neither scikit-learn nor pickle. Its margin is turned into a
probability by Platt scaling fitted on out-of-fold margins (calibration).

Chosen by grouped cross-validation over linear, one-hidden-layer and kernel heads:
at the recall the screen needs, the kernel head escalated the fewest ordinary messages
(docs/safety.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import NDArray


@dataclass(frozen=True)
class KernelScorer:
    """P(yes | x) = sigmoid(a · margin(x) + b), margin from the support vectors."""

    mean: NDArray[np.float64]
    spread: NDArray[np.float64]
    support: NDArray[np.float64]  # standardised support vectors, one per row
    coef: NDArray[np.float64]  # dual coefficients (label · alpha), one per support vector
    intercept: float
    gamma: float
    platt_a: float = 1.0
    platt_b: float = 0.0

    @cached_property
    def _support_norms(self) -> NDArray[np.float64]:
        # Fixed for the model's life: computing it per message cost as much as the rest.
        norms: NDArray[np.float64] = (self.support * self.support).sum(axis=1)[None, :]
        return norms

    def margin(self, x: NDArray[np.floating]) -> NDArray[np.float64]:
        z = (np.atleast_2d(np.asarray(x, dtype=np.float64)) - self.mean) / self.spread
        squared = (z * z).sum(axis=1)[:, None] + self._support_norms - 2 * z @ self.support.T
        result: NDArray[np.float64] = np.exp(-self.gamma * np.maximum(squared, 0)) @ self.coef
        return result + self.intercept

    def probability(self, x: NDArray[np.floating]) -> NDArray[np.float64]:
        result: NDArray[np.float64] = 1 / (
            1 + np.exp(-(self.platt_a * self.margin(x) + self.platt_b))
        )
        return result

    def calibrated(self, platt_a: float, platt_b: float) -> KernelScorer:
        return KernelScorer(
            self.mean, self.spread, self.support, self.coef, self.intercept, self.gamma,
            platt_a, platt_b,
        )  # fmt: skip

    def arrays(self, prefix: str) -> dict[str, NDArray[np.float64]]:
        scalars = [self.intercept, self.gamma, self.platt_a, self.platt_b]
        return {
            f"{prefix}_mean": self.mean.astype(np.float32),
            f"{prefix}_spread": self.spread.astype(np.float32),
            f"{prefix}_support": self.support.astype(np.float32),
            f"{prefix}_coef": self.coef.astype(np.float32),
            f"{prefix}_scalars": np.array(scalars, dtype=np.float64),
        }

    @classmethod
    def from_arrays(cls, data: Mapping[str, Any], prefix: str) -> KernelScorer:
        get = data.__getitem__
        intercept, gamma, platt_a, platt_b = (float(v) for v in get(f"{prefix}_scalars"))
        return cls(
            mean=get(f"{prefix}_mean").astype(np.float64),
            spread=get(f"{prefix}_spread").astype(np.float64),
            support=get(f"{prefix}_support").astype(np.float64),
            coef=get(f"{prefix}_coef").astype(np.float64),
            intercept=intercept,
            gamma=gamma,
            platt_a=platt_a,
            platt_b=platt_b,
        )


def fit_platt(margins: NDArray[np.float64], labels: NDArray[np.bool_]) -> tuple[float, float]:
    """Platt scaling: the sigmoid a·m + b that best predicts held-out labels (Newton steps)."""
    y = labels.astype(np.float64)
    # Platt's smoothed targets keep the fit finite when the classes separate.
    positives, negatives = y.sum(), len(y) - y.sum()
    target = np.where(y > 0, (positives + 1) / (positives + 2), 1 / (negatives + 2))
    a, b = 1.0, 0.0
    for _ in range(100):
        p = 1 / (1 + np.exp(-(a * margins + b)))
        w = p * (1 - p) + 1e-9
        grad = np.array([((p - target) * margins).sum(), (p - target).sum()])
        hess = np.array(
            [[(w * margins * margins).sum() + 1e-6, (w * margins).sum()],
             [(w * margins).sum(), w.sum() + 1e-6]]
        )  # fmt: skip
        step = np.linalg.solve(hess, grad)
        a, b = a - step[0], b - step[1]
        if np.abs(step).max() < 1e-9:
            break
    return float(a), float(b)
