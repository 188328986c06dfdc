"""Platt scaling: turning a head's margins into probabilities that mean what they say."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import NDArray


def sigmoid(x: NDArray[np.float64]) -> NDArray[np.float64]:
    # exp overflows to inf for a margin far below zero, and 1 / inf is the right 0.
    with np.errstate(over="ignore"):
        result: NDArray[np.float64] = 1 / (1 + np.exp(-x))
    return result


def fit_platt(margins: NDArray[np.float64], labels: NDArray[np.bool_]) -> tuple[float, float]:
    """Platt scaling: the sigmoid a·m + b that best predicts held-out labels (Newton steps)."""
    y = labels.astype(np.float64)
    # Platt's smoothed targets keep the fit finite when the classes separate.
    positives, negatives = y.sum(), len(y) - y.sum()
    target = np.where(y > 0, (positives + 1) / (positives + 2), 1 / (negatives + 2))
    a, b = 1.0, 0.0
    for _ in range(100):
        p = sigmoid(a * margins + b)
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
