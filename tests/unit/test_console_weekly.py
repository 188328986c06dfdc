"""Response times per week and their CSV export: figures right, nothing identifying."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from bot.console.weekly import CSV_COLUMNS, export_csv, iso_week, weekly
from safety.escalation.policy import EscalationPolicy
from safety.escalation.record import Escalation, acknowledge, open_escalation, resolve

POLICY = EscalationPolicy({"imminent": 300.0, "high": 3600.0, "handoff": 3600.0})
MONDAY = datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc).timestamp()  # 2026-W49
WEEK = 7 * 86_400


def _esc(code: str, level: str, at: float, answered_after: float | None = None) -> Escalation:
    esc = open_escalation(
        code=code,
        participant="pabcabcabcabcabcabcabcabcabc",
        participant_code="P-ABCABC",
        level=level,
        signals=("threat",),
        quote="QUOTE-never-exported",
        now=at,
        policy=POLICY,
    )
    if answered_after is not None:
        esc = acknowledge(esc, "@staff:example.org", at + answered_after)
    return esc


def test_an_iso_week_follows_the_time_zone() -> None:
    sunday_late = datetime(2026, 12, 6, 23, 30, tzinfo=timezone.utc).timestamp()
    assert iso_week(sunday_late, timezone.utc) == "2026-W49"
    assert iso_week(sunday_late, ZoneInfo("Europe/Stockholm")) == "2026-W50"


def test_weeks_newest_first_with_the_most_urgent_level_first() -> None:
    rows = weekly(
        [
            _esc("E-1", "high", MONDAY, 60),
            _esc("E-2", "high", MONDAY + 3600, 600),
            _esc("E-3", "imminent", MONDAY + 7200, 30),
            _esc("E-4", "high", MONDAY + WEEK),
        ],
        timezone.utc,
    )
    assert [(r.week, r.level) for r in rows] == [
        ("2026-W50", "high"),
        ("2026-W49", "imminent"),
        ("2026-W49", "high"),
    ]
    assert (rows[0].count, rows[0].answered, rows[0].p50_seconds) == (1, 0, None)
    high = rows[2]
    assert (high.count, high.answered, high.p50_seconds, high.max_seconds) == (2, 2, 60, 600)


def test_only_the_latest_weeks_are_kept() -> None:
    many = [_esc(f"E-{n}", "high", MONDAY + n * WEEK, 10) for n in range(20)]
    rows = weekly(many, timezone.utc, weeks=12)
    assert len(rows) == 12 and rows[0].week > rows[-1].week


def test_the_export_has_one_row_per_escalation_and_nothing_identifying() -> None:
    escalations = [
        _esc("E-LATE01", "high", MONDAY + 5 * 3600, 900),
        _esc("E-EARLY1", "high", MONDAY, 60),
        resolve(_esc("E-IMM001", "imminent", MONDAY + 100), "@boss:example.org", MONDAY + 400),
    ]
    text = export_csv(escalations, timezone.utc)
    rows = list(csv.reader(io.StringIO(text)))
    assert tuple(rows[0]) == CSV_COLUMNS
    # Ordered by level and response time, never by the hour it came in.
    assert rows[1:] == [
        ["2026-W49", "imminent", "yes", "300", "0", "no"],
        ["2026-W49", "high", "yes", "60", "0", "no"],
        ["2026-W49", "high", "yes", "900", "0", "no"],
    ]
    for secret in ("E-", "P-ABCABC", "pabc", "QUOTE", "@", "09:00", "2026-11-30"):
        assert secret not in text


def test_a_cell_never_starts_a_spreadsheet_formula() -> None:
    hostile = replace(_esc("E-X", "high", MONDAY), level="=HYPERLINK(1)")
    text = export_csv([hostile], timezone.utc)
    assert "'=HYPERLINK(1)" in text
    assert ",=" not in text
