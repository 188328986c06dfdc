"""Multinomial logistic regression in NumPy: the classifier heads on top of the encoder.

Small and deterministic on purpose: full-batch gradient descent (Adam) on a convex loss
from zero weights gives the same model on every machine, and the whole model is two
arrays a reviewer can load. Class weights balance rare classes (imminent, some
categories) so the loss does not buy accuracy on ordinary messages with missed danger.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import NDArray

Floats = "NDArray[np.float64]"


@dataclass(frozen=True)
class Softmax:
    """Weights (features × classes) and bias; `temperature` divides the logits."""

    weights: NDArray[np.float64]
    bias: NDArray[np.float64]
    temperature: float = 1.0

    def logits(self, x: NDArray[np.floating]) -> NDArray[np.float64]:
        return (np.asarray(x, dtype=np.float64) @ self.weights + self.bias) / self.temperature

    def probabilities(self, x: NDArray[np.floating]) -> NDArray[np.float64]:
        """Row-wise class probabilities for a matrix of feature rows."""
        z = self.logits(np.atleast_2d(x))
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        result: NDArray[np.float64] = e / e.sum(axis=1, keepdims=True)
        return result


def _balanced_weights(y: NDArray[np.int64], classes: int) -> NDArray[np.float64]:
    counts = np.bincount(y, minlength=classes).astype(np.float64)
    per_class = np.where(counts > 0, len(y) / (classes * np.maximum(counts, 1)), 0.0)
    result: NDArray[np.float64] = per_class[y]
    return result


def fit(
    x: NDArray[np.floating],
    y: NDArray[np.int64],
    classes: int,
    *,
    l2: float = 1e-3,
    steps: int = 600,
    learning_rate: float = 0.05,
    sample_weight: NDArray[np.float64] | None = None,
) -> Softmax:
    """Fit weights minimising weighted cross-entropy + l2·|W|² with Adam."""
    data = np.asarray(x, dtype=np.float64)
    n, d = data.shape
    weight = _balanced_weights(y, classes)
    if sample_weight is not None:
        weight = weight * sample_weight
    weight = weight / weight.sum()
    target = np.zeros((n, classes))
    target[np.arange(n), y] = 1.0
    w = np.zeros((d, classes))
    b = np.zeros(classes)
    moments = [np.zeros_like(w), np.zeros_like(w), np.zeros_like(b), np.zeros_like(b)]
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    for step in range(1, steps + 1):
        z = data @ w + b
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        residual = (p - target) * weight[:, None]
        grad_w = data.T @ residual + 2 * l2 * w
        grad_b = residual.sum(axis=0)
        for k, (param, grad) in enumerate(((w, grad_w), (b, grad_b))):
            m, v = moments[2 * k], moments[2 * k + 1]
            m *= beta1
            m += (1 - beta1) * grad
            v *= beta2
            v += (1 - beta2) * grad * grad
            m_hat = m / (1 - beta1**step)
            v_hat = v / (1 - beta2**step)
            param -= learning_rate * m_hat / (np.sqrt(v_hat) + eps)
    return Softmax(weights=w, bias=b)


def fit_temperature(logits: NDArray[np.float64], y: NDArray[np.int64]) -> float:
    """The temperature that minimises held-out negative log-likelihood (a grid search).

    Calibration on out-of-fold logits makes the probabilities mean what they say, so a
    threshold such as "P(high or above) ≥ 0.2" is a statement about risk, not a score.
    """
    best, best_nll = 1.0, float("inf")
    for t in np.exp(np.linspace(np.log(0.05), np.log(5.0), 121)):
        z = logits / t
        z = z - z.max(axis=1, keepdims=True)
        log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        nll = float(-log_p[np.arange(len(y)), y].mean())
        if nll < best_nll:
            best, best_nll = float(t), nll
    return best
