"""What the gateway knows about a participant beyond the message, and the trend rules.

Rules ("trends count too", see docs/safety.md):
* rising stress: the last three check-in stress scores strictly increase (e.g. 3, 5, 7)
  → at least ELEVATED, signal `trend_rising_stress`;
* a check-in missed after a high-risk week (the scheduler sets the flag) → at least HIGH,
  signal `missed_checkin_after_high`.

`recent_levels` is carried for the escalation policy but deliberately does not raise the
level here: a past HIGH must not keep every later message HIGH by echo.
`language` names the participant's language; patterns for every language still run,
because people switch language mid-sentence.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from safety.risk.levels import RiskLevel, Signal

TREND_RUN = 3


@dataclass(frozen=True, slots=True)
class RiskContext:
    """Context for one assessment. Sequences are stored as tuples, oldest first."""

    language: str = "sv"
    in_checkin: bool = False
    stress_scores: Sequence[int] = ()
    recent_levels: Sequence[RiskLevel] = ()
    missed_checkin_after_high: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "stress_scores", tuple(int(s) for s in self.stress_scores))
        object.__setattr__(self, "recent_levels", tuple(self.recent_levels))
        if not all(isinstance(lv, RiskLevel) for lv in self.recent_levels):
            raise TypeError("recent_levels must hold RiskLevel values")


def rising_stress(scores: Sequence[int], run: int = TREND_RUN) -> bool:
    """True if the last `run` scores strictly increase."""
    tail = list(scores)[-run:]
    return len(tail) == run and all(a < b for a, b in itertools.pairwise(tail))


def context_signals(ctx: RiskContext) -> tuple[Signal, ...]:
    """Signals that come from the participant's history rather than from the text."""
    signals: list[Signal] = []
    if rising_stress(ctx.stress_scores):
        signals.append(
            Signal("trend_rising_stress", RiskLevel.ELEVATED, "context", f"rising_x{TREND_RUN}")
        )
    if ctx.missed_checkin_after_high:
        signals.append(
            Signal("missed_checkin_after_high", RiskLevel.HIGH, "context", "missed_after_high")
        )
    return tuple(signals)
