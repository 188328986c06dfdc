"""Escalation response figures: how fast staff answered pages, per level.

Pure: it takes escalation records and the current time and returns numbers,
so the figures can be checked without a vault or a clock.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.ids import ParticipantId, participant_code
from safety.escalation.policy import PAGED_LEVELS
from safety.escalation.record import OPEN, Escalation

# A resolve without an earlier acknowledgement is also a person answering the
# page, so it ends the response time just as an acknowledgement does.
_RESPONSES = frozenset({"acknowledged", "resolved"})
_REESCALATED = "reescalated"


@dataclass(frozen=True)
class LevelFigures:
    level: str
    count: int
    acknowledged: int
    p50_seconds: float | None
    p90_seconds: float | None
    max_seconds: float | None
    reescalated: int
    still_open: int


@dataclass(frozen=True)
class OpenEscalation:
    code: str
    participant_code: str
    level: str
    age_seconds: float
    state: str
    reescalations: int
    # The roles paged so far, in the order the chain reached them.
    paged: tuple[str, ...] = ()
    # Until the acknowledgement is due (negative: overdue); None once answered.
    due_in_seconds: float | None = None


@dataclass(frozen=True)
class EscalationFigures:
    levels: tuple[LevelFigures, ...]
    open: tuple[OpenEscalation, ...]


def percentile(values: Sequence[float], percent: float) -> float | None:
    """Nearest-rank percentile: always a time that really occurred, never an
    interpolation between two escalations."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(percent / 100 * len(ordered)))
    return ordered[rank - 1]


def response_seconds(esc: Escalation) -> float | None:
    """Seconds from creation to the first acknowledgement (or resolve); None if
    nobody has answered yet."""
    for at, change, _detail in esc.history:
        if change in _RESPONSES:
            return max(0.0, at - esc.created_at)
    return None


def reescalations(esc: Escalation) -> int:
    return sum(1 for _at, change, _detail in esc.history if change == _REESCALATED)


def _level_order(level: str) -> tuple[int, str]:
    rank = PAGED_LEVELS.index(level) if level in PAGED_LEVELS else len(PAGED_LEVELS)
    return rank, level


def _level_figures(level: str, escalations: Sequence[Escalation]) -> LevelFigures:
    answered = [t for t in (response_seconds(esc) for esc in escalations) if t is not None]
    return LevelFigures(
        level=level,
        count=len(escalations),
        acknowledged=len(answered),
        p50_seconds=percentile(answered, 50),
        p90_seconds=percentile(answered, 90),
        max_seconds=max(answered, default=None),
        reescalated=sum(1 for esc in escalations if reescalations(esc)),
        still_open=sum(1 for esc in escalations if esc.state == OPEN),
    )


def _open_line(esc: Escalation, now: float) -> OpenEscalation:
    return OpenEscalation(
        code=esc.code,
        participant_code=participant_code(ParticipantId(esc.participant)),
        level=esc.level,
        age_seconds=max(0.0, now - esc.created_at),
        state=esc.state,
        reescalations=reescalations(esc),
        paged=esc.paged,
        due_in_seconds=(
            esc.deadline - now
            if esc.deadline is not None and response_seconds(esc) is None
            else None
        ),
    )


def escalation_figures(escalations: Iterable[Escalation], now: float) -> EscalationFigures:
    """Figures per level (every paged level is listed, even with none), and the
    open escalations, most urgent level first and oldest first within it."""
    by_level: dict[str, list[Escalation]] = {level: [] for level in PAGED_LEVELS}
    for esc in escalations:
        by_level.setdefault(esc.level, []).append(esc)
    levels = sorted(by_level, key=_level_order)
    still_open = sorted(
        (esc for level in levels for esc in by_level[level] if esc.state == OPEN),
        key=lambda esc: (_level_order(esc.level), esc.created_at),
    )
    return EscalationFigures(
        levels=tuple(_level_figures(level, by_level[level]) for level in levels),
        open=tuple(_open_line(esc, now) for esc in still_open),
    )
