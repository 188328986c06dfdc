"""Risk levels, signals and the assessment value object.

These types carry no message text. A `Signal` names a category and a short evidence
label (a rule id, a probability, a trend name), so an `Assessment` can be logged,
queued and shown to a mediator without leaking what the participant wrote.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Literal

SignalSource = Literal["pattern", "classifier", "context"]

_ORDER = ("none", "elevated", "high", "imminent")
_RANK = {name: i for i, name in enumerate(_ORDER)}


class RiskLevel(Enum):
    """Ordered risk level: NONE < ELEVATED < HIGH < IMMINENT."""

    NONE = "none"
    ELEVATED = "elevated"
    HIGH = "high"
    IMMINENT = "imminent"

    @property
    def rank(self) -> int:
        return _RANK[self._value_]

    @classmethod
    def parse(cls, value: str) -> RiskLevel:
        """Parse a level name such as ``"high"``; raises ``ValueError`` if unknown."""
        return cls(value.strip().lower())

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, RiskLevel):
            return NotImplemented
        return _RANK[self._value_] < _RANK[other._value_]

    def __le__(self, other: object) -> bool:
        if not isinstance(other, RiskLevel):
            return NotImplemented
        return _RANK[self._value_] <= _RANK[other._value_]

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, RiskLevel):
            return NotImplemented
        return _RANK[self._value_] > _RANK[other._value_]

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, RiskLevel):
            return NotImplemented
        return _RANK[self._value_] >= _RANK[other._value_]


LEVELS: tuple[RiskLevel, ...] = tuple(RiskLevel(name) for name in _ORDER)


@dataclass(frozen=True, slots=True)
class Signal:
    """One reason to raise the level. `evidence` is a short label, never message text."""

    category: str
    level: RiskLevel
    source: SignalSource
    evidence: str


@dataclass(frozen=True, slots=True)
class Assessment:
    """The outcome of screening one message: the highest level and every signal behind it."""

    level: RiskLevel
    signals: tuple[Signal, ...]
    rationale: str

    @property
    def categories(self) -> tuple[str, ...]:
        """Distinct signal categories, highest level first, then by name."""
        ordered = sorted(self.signals, key=lambda s: (-s.level.rank, s.category))
        return tuple(dict.fromkeys(s.category for s in ordered))


def combine(signals: tuple[Signal, ...]) -> Assessment:
    """Fuse signals: the highest level wins; the rationale lists every category."""
    level = max((s.level for s in signals), default=RiskLevel.NONE)
    ordered = tuple(sorted(signals, key=lambda s: (-s.level.rank, s.category, s.source)))
    if not ordered:
        return Assessment(RiskLevel.NONE, (), "none: no risk signals")
    parts: dict[str, str] = {}
    for sig in ordered:
        parts.setdefault(sig.category, f"{sig.category} ({sig.source}, {sig.level.value})")
    return Assessment(level, ordered, f"{level.value}: " + "; ".join(parts.values()))
