"""The weekly response-time chart: bars where the figures say, nothing a browser
would run or the Content-Security-Policy would refuse."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from bot.console.chart import HEIGHT, TOP, level_chart, weekly_charts
from bot.console.weekly import WeekRow

BOTTOM_Y = HEIGHT - 34


def _row(week: str, level: str, p50: float | None, p90: float | None, top: float | None) -> WeekRow:
    answered = 0 if p50 is None else 3
    return WeekRow(week, level, 3, answered, p50, p90, top)


def test_bars_are_scaled_to_a_round_top_and_the_weeks_run_oldest_first() -> None:
    svg = level_chart(
        "high",
        [_row("2026-W49", "high", 60, 240, 300), _row("2026-W48", "high", 30, 60, 90)],
    )
    ET.fromstring(svg)  # noqa: S314 - the chart's own output, parsed to prove it well-formed
    assert "5 min</text>" in svg  # 300 s is exactly the top
    labels = re.findall(r">(W\d\d)</text>", svg)
    assert labels == ["W48", "W49"]
    heights = [float(h) for h in re.findall(r'height="([\d.]+)" fill', svg)]
    inner = BOTTOM_Y - TOP
    # W48: p90 60 s and p50 30 s; W49: p90 240 s and p50 60 s, of a 300 s axis.
    assert heights == [
        round(inner * 60 / 300, 1),
        round(inner * 30 / 300, 1),
        round(inner * 240 / 300, 1),
        round(inner * 60 / 300, 1),
    ]


def test_a_week_nobody_answered_says_so() -> None:
    svg = level_chart("imminent", [_row("2026-W49", "imminent", None, None, None)])
    assert ">none</text>" in svg and "<rect" not in svg


def test_one_chart_per_level_in_the_order_given() -> None:
    svg = weekly_charts(
        [
            _row("2026-W49", "imminent", 10, 20, 30),
            _row("2026-W49", "high", 60, 90, 100),
            _row("2026-W48", "imminent", 10, 20, 30),
        ]
    )
    assert svg.count("<svg") == 2
    assert svg.index("imminent: response") < svg.index("high: response")
    assert weekly_charts([]) == ""


def test_nothing_in_the_chart_runs_or_needs_inline_style() -> None:
    svg = level_chart("<script>x</script>", [_row('2026-W49"><x', "x", 1, 2, 3)])
    assert "<script" not in svg and "style=" not in svg and "on" + "load" not in svg
    assert "&lt;script&gt;" in svg
    ET.fromstring(svg)  # noqa: S314 - the chart's own output
