"""Small helpers shared by the benchmarks."""

from __future__ import annotations

import statistics


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def summary(values: list[float]) -> str:
    return (
        f"p50 {statistics.median(values):.0f} ms  p99 {percentile(values, 0.99):.0f} ms"
        f"  (n={len(values)})"
    )
