"""Escalation response times per ISO week and level, and the same as a CSV
export. Pure: escalation records and a time zone in, rows out.

Neither holds content or identities: no participant, no escalation code, no
staff, and no time finer than the week, so a row cannot be matched to a page
someone remembers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, tzinfo

from bot.console.figures import percentile, reescalations, response_seconds
from safety.escalation.policy import PAGED_LEVELS
from safety.escalation.record import OPEN, Escalation

# A cell a spreadsheet would read as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CSV_COLUMNS = ("week", "level", "answered", "response_seconds", "reescalations", "open")


@dataclass(frozen=True)
class WeekRow:
    week: str  # ISO week, "2026-W49"
    level: str
    count: int
    answered: int
    p50_seconds: float | None
    p90_seconds: float | None
    max_seconds: float | None


def iso_week(at: float, zone: tzinfo) -> str:
    year, week, _ = datetime.fromtimestamp(at, zone).isocalendar()
    return f"{year}-W{week:02d}"


def _level_rank(level: str) -> int:
    return PAGED_LEVELS.index(level) if level in PAGED_LEVELS else len(PAGED_LEVELS)


def weekly(escalations: Iterable[Escalation], zone: tzinfo, weeks: int = 12) -> tuple[WeekRow, ...]:
    """The last ``weeks`` weeks that had escalations, newest first, the most
    urgent level first within a week."""
    grouped: dict[tuple[str, str], list[float | None]] = {}
    for esc in escalations:
        key = (iso_week(esc.created_at, zone), esc.level)
        grouped.setdefault(key, []).append(response_seconds(esc))
    shown = sorted({week for week, _ in grouped}, reverse=True)[:weeks]
    rows = []
    for week in shown:
        for level in sorted((lv for wk, lv in grouped if wk == week), key=_level_rank):
            times = grouped[(week, level)]
            answered = [t for t in times if t is not None]
            rows.append(
                WeekRow(
                    week=week,
                    level=level,
                    count=len(times),
                    answered=len(answered),
                    p50_seconds=percentile(answered, 50),
                    p90_seconds=percentile(answered, 90),
                    max_seconds=max(answered, default=None),
                )
            )
    return tuple(rows)


def _cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


def export_csv(escalations: Iterable[Escalation], zone: tzinfo) -> str:
    """One row per escalation, ordered by week, level and response time (never by
    when in the week it came, which could tell who it was)."""
    rows = []
    for esc in escalations:
        seconds = response_seconds(esc)
        rows.append(
            (
                iso_week(esc.created_at, zone),
                _level_rank(esc.level),
                esc.level,
                "yes" if seconds is not None else "no",
                "" if seconds is None else f"{seconds:.0f}",
                str(reescalations(esc)),
                "yes" if esc.state == OPEN else "no",
                seconds if seconds is not None else float("inf"),
            )
        )
    rows.sort(key=lambda r: (r[0], r[1], r[7]))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for week, _rank, level, answered, seconds_text, again, still_open, _ in rows:
        writer.writerow(
            tuple(_cell(v) for v in (week, level, answered, seconds_text, again, still_open))
        )
    return out.getvalue()
