"""A small metric registry and the Prometheus text exposition format (0.0.4).

Pure: no I/O, no clock. Label values come from a fixed set given when the
metric is declared; anything else is counted as ``other``, so a label can
never carry free text.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

OTHER = "other"
INF = math.inf
LabelValues = tuple[str, ...]


def format_value(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value == int(value) and abs(value) < 2**53:
        return str(int(value))
    return repr(float(value))


def _escape_label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _labels(names: Iterable[str], values: Iterable[str]) -> str:
    pairs = [f'{name}="{_escape_label(value)}"' for name, value in zip(names, values, strict=True)]
    return "{" + ",".join(pairs) + "}" if pairs else ""


@dataclass
class _Metric:
    name: str
    help: str
    kind: str  # counter, gauge or histogram
    labels: Mapping[str, frozenset[str] | None] = field(default_factory=dict)

    def key(self, given: Mapping[str, str]) -> LabelValues:
        """The label values in declared order; a value outside its set becomes ``other``."""
        values = []
        for name, allowed in self.labels.items():
            value = given.get(name, OTHER)
            values.append(value if allowed is None or value in allowed else OTHER)
        return tuple(values)

    def header(self) -> list[str]:
        return [f"# HELP {self.name} {_escape_help(self.help)}", f"# TYPE {self.name} {self.kind}"]

    def samples(self) -> list[str]:
        raise NotImplementedError


@dataclass
class Counter(_Metric):
    kind: str = "counter"
    values: dict[LabelValues, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Every fixed label combination starts at 0, so a rate is defined from the start.
        if all(allowed is not None for allowed in self.labels.values()):
            for combo in _combinations([sorted(a or ()) for a in self.labels.values()]):
                self.values.setdefault(combo, 0.0)

    def inc(self, amount: float = 1.0, **labels: str) -> None:
        if amount < 0 or not math.isfinite(amount):
            return  # a counter only goes up
        key = self.key(labels)
        self.values[key] = self.values.get(key, 0.0) + amount

    def samples(self) -> list[str]:
        names = tuple(self.labels)
        return [
            f"{self.name}{_labels(names, key)} {format_value(value)}"
            for key, value in sorted(self.values.items())
        ]


@dataclass
class Gauge(_Metric):
    """A value set when it changes, or read from ``source`` at each scrape."""

    kind: str = "gauge"
    value: float | None = None
    source: Callable[[], float | None] | None = None

    def set(self, value: float) -> None:
        self.value = value

    def current(self) -> float | None:
        if self.source is None:
            return self.value
        try:
            return self.source()
        except Exception:  # a failing source leaves the gauge out of this scrape
            return None

    def samples(self) -> list[str]:
        value = self.current()
        # A gauge with nothing to say yet is left out rather than shown as 0.
        return [] if value is None else [f"{self.name} {format_value(value)}"]


@dataclass
class Histogram(_Metric):
    kind: str = "histogram"
    buckets: tuple[float, ...] = ()
    counts: list[int] = field(default_factory=list)
    total: float = 0.0
    count: int = 0

    def __post_init__(self) -> None:
        if list(self.buckets) != sorted(set(self.buckets)) or not self.buckets:
            raise ValueError("histogram buckets must be given in increasing order")
        self.counts = [0] * len(self.buckets)

    def observe(self, value: float) -> None:
        if not math.isfinite(value) or value < 0:
            return
        for i, bound in enumerate(self.buckets):
            if value <= bound:
                self.counts[i] += 1
        self.total += value
        self.count += 1

    def samples(self) -> list[str]:
        lines = [
            f'{self.name}_bucket{{le="{format_value(bound)}"}} {count}'
            for bound, count in zip(self.buckets, self.counts, strict=True)
        ]
        lines.append(f'{self.name}_bucket{{le="+Inf"}} {self.count}')
        lines.append(f"{self.name}_sum {format_value(self.total)}")
        lines.append(f"{self.name}_count {self.count}")
        return lines


def _combinations(sets: list[list[str]]) -> list[LabelValues]:
    combos: list[LabelValues] = [()]
    for values in sets:
        combos = [(*combo, value) for combo in combos for value in values]
    return combos


_M = TypeVar("_M", bound=_Metric)


class Registry:
    """The declared metrics, in order; one lock, as events may come from threads."""

    def __init__(self) -> None:
        self._metrics: dict[str, _Metric] = {}
        # Reentrant: a gauge source that logs would otherwise wait on its own scrape.
        self.lock = threading.RLock()

    def _add(self, metric: _M) -> _M:
        if metric.name in self._metrics:
            raise ValueError(f"metric {metric.name} declared twice")
        self._metrics[metric.name] = metric
        return metric

    def counter(
        self, name: str, help: str, labels: Mapping[str, Iterable[str] | None] | None = None
    ) -> Counter:
        fixed = {k: None if v is None else frozenset(v) for k, v in (labels or {}).items()}
        return self._add(Counter(name, help, labels=fixed))

    def gauge(
        self, name: str, help: str, source: Callable[[], float | None] | None = None
    ) -> Gauge:
        return self._add(Gauge(name, help, source=source))

    def histogram(self, name: str, help: str, buckets: tuple[float, ...]) -> Histogram:
        return self._add(Histogram(name, help, buckets=buckets))

    def render(self) -> str:
        """Every metric in the text exposition format, ending in a newline."""
        lines: list[str] = []
        with self.lock:
            for metric in self._metrics.values():
                lines += metric.header()
                lines += metric.samples()
        return "\n".join(lines) + "\n"
