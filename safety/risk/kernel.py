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
    # Standardised support vectors, one per row. float32: the model is stored so, and
    # reading them is most of a message's kernel time (half the bytes of float64).
    support: NDArray[np.float32]
    coef: NDArray[np.float64]  # dual coefficients (label · alpha), one per support vector
    intercept: float
    gamma: float
    platt_a: float = 1.0
    platt_b: float = 0.0

    @cached_property
    def _support_norms(self) -> NDArray[np.float64]:
        # Fixed for the model's life: computing it per message cost as much as the rest.
        support = self.support.astype(np.float64)
        norms: NDArray[np.float64] = (support * support).sum(axis=1)[None, :]
        return norms

    def margin(self, x: NDArray[np.floating]) -> NDArray[np.float64]:
        z = (np.atleast_2d(np.asarray(x, dtype=np.float64)) - self.mean) / self.spread
        products = (z.astype(np.float32) @ self.support.T).astype(np.float64)
        squared = (z * z).sum(axis=1)[:, None] + self._support_norms - 2 * products
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
            support=np.ascontiguousarray(get(f"{prefix}_support"), dtype=np.float32),
            coef=get(f"{prefix}_coef").astype(np.float64),
            intercept=intercept,
            gamma=gamma,
            platt_a=platt_a,
            platt_b=platt_b,
        )


@dataclass(frozen=True)
class KernelBank:
    """Several kernel machines over the same standardised space, run as one.

    The screen's three questions are trained on the same messages, so they share the
    standardisation and the kernel width, and most of their support vectors: the
    kernel row of each distinct support vector is computed once for all three. The
    margins are exactly those of the machines one by one."""

    mean: NDArray[np.float64]
    spread: NDArray[np.float64]
    gamma: float
    support: NDArray[np.float32]  # distinct support vectors of all the machines
    norms: NDArray[np.float64]
    coef: NDArray[np.float64]  # [support vector, machine]; 0 where not a machine's own
    intercepts: NDArray[np.float64]
    platt: NDArray[np.float64]  # [machine, (a, b)]

    @classmethod
    def of(cls, machines: tuple[KernelScorer, ...]) -> KernelBank | None:
        """The bank, or None when the machines do not share one space."""
        first = machines[0]
        if not all(
            m.gamma == first.gamma
            and np.array_equal(m.mean, first.mean)
            and np.array_equal(m.spread, first.spread)
            for m in machines
        ):
            return None
        support, rows = np.unique(
            np.concatenate([m.support for m in machines]), axis=0, return_inverse=True
        )
        coef = np.zeros((len(support), len(machines)))
        start = 0
        for index, machine in enumerate(machines):
            own = rows.reshape(-1)[start : start + len(machine.support)]
            np.add.at(coef[:, index], own, machine.coef)
            start += len(machine.support)
        wide = support.astype(np.float64)
        return cls(
            mean=first.mean,
            spread=first.spread,
            gamma=first.gamma,
            support=np.ascontiguousarray(support, dtype=np.float32),
            norms=(wide * wide).sum(axis=1)[None, :],
            coef=coef,
            intercepts=np.array([m.intercept for m in machines]),
            platt=np.array([(m.platt_a, m.platt_b) for m in machines]),
        )

    def probabilities(self, x: NDArray[np.floating]) -> NDArray[np.float64]:
        """[row, machine]: each machine's calibrated probability."""
        z = (np.atleast_2d(np.asarray(x, dtype=np.float64)) - self.mean) / self.spread
        # NumPy's own loop, not its BLAS: the BLAS splits this product (28 MB of support
        # vectors) over a thread per core, which then spin between messages, while the
        # screen is to keep to one core (`safety.risk.encoder.runtime`). Reading the
        # vectors, not multiplying, is the cost, so one thread loses no time.
        products = np.einsum("ij,kj->ik", z.astype(np.float32), self.support).astype(np.float64)
        squared = (z * z).sum(axis=1)[:, None] + self.norms - 2 * products
        margins = np.exp(-self.gamma * np.maximum(squared, 0)) @ self.coef + self.intercepts
        result: NDArray[np.float64] = 1 / (
            1 + np.exp(-(self.platt[:, 0] * margins + self.platt[:, 1]))
        )
        return result


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
