"""Response times per week as a bar chart: one small chart per level, weeks
left to right, the p90 bar light and the p50 bar dark inside it, the maximum
as a tick. Plain SVG made here, pure: no script, no style attribute (the
Content-Security-Policy allows neither), every text escaped.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

from bot.console.weekly import WeekRow

HEIGHT = 150
TOP = 24
BOTTOM = 34
LEFT = 56
SLOT = 44
BAR = 26


def _text(value: object) -> str:
    return html.escape(str(value), quote=True)


def _minutes_ceiling(seconds: float) -> float:
    """A round top for the axis: 1, 2, 5, 10, 20, 50 … minutes."""
    minutes = max(seconds / 60, 1.0)
    step = 10.0 ** math.floor(math.log10(minutes))
    factor = next((f for f in (1.0, 2.0, 5.0) if minutes <= f * step), 10.0)
    return factor * step * 60


def _y(seconds: float, top_seconds: float) -> float:
    inner = HEIGHT - TOP - BOTTOM
    return TOP + inner * (1 - min(seconds, top_seconds) / top_seconds)


def level_chart(level: str, rows: Sequence[WeekRow]) -> str:
    """One level's weeks, oldest first; rows must all be of ``level``."""
    weeks = sorted(rows, key=lambda r: r.week)
    width = LEFT + SLOT * max(len(weeks), 1) + 10
    top = _minutes_ceiling(max((r.max_seconds or 0 for r in weeks), default=0))
    base = HEIGHT - BOTTOM
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{HEIGHT}" '
        f'viewBox="0 0 {width} {HEIGHT}" role="img" class="chart">'
        f"<title>{_text(level)}: response times per week</title>"
        f'<text x="{LEFT}" y="14" font-size="12" font-weight="bold">{_text(level)}</text>'
        f'<line x1="{LEFT}" y1="{base}" x2="{width - 6}" y2="{base}" stroke="#888"/>'
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{base}" stroke="#888"/>'
        f'<text x="{LEFT - 4}" y="{TOP + 4}" font-size="10" text-anchor="end">'
        f"{_text(f'{top / 60:g} min')}</text>"
        f'<text x="{LEFT - 4}" y="{base}" font-size="10" text-anchor="end">0</text>'
    ]
    for i, row in enumerate(weeks):
        x = LEFT + SLOT * i + (SLOT - BAR) / 2
        for seconds, colour in ((row.p90_seconds, "#9db7e6"), (row.p50_seconds, "#1f4e9c")):
            if seconds is not None:
                y = _y(seconds, top)
                parts.append(
                    f'<rect x="{x:.1f}" y="{y:.1f}" width="{BAR}" height="{base - y:.1f}" '
                    f'fill="{colour}"/>'
                )
        if row.max_seconds is not None:
            y = _y(row.max_seconds, top)
            parts.append(
                f'<line x1="{x - 3:.1f}" y1="{y:.1f}" x2="{x + BAR + 3:.1f}" y2="{y:.1f}" '
                'stroke="#a4161a" stroke-width="2"/>'
            )
        if row.answered == 0:
            parts.append(
                f'<text x="{x + BAR / 2:.1f}" y="{base - 4}" font-size="10" '
                'text-anchor="middle">none</text>'
            )
        parts.append(
            f'<text x="{x + BAR / 2:.1f}" y="{base + 14}" font-size="10" '
            f'text-anchor="middle">{_text(row.week[-3:])}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def weekly_charts(rows: Sequence[WeekRow]) -> str:
    """One chart per level that had escalations in the weeks shown, in the order
    the rows give the levels (most urgent first)."""
    levels = list(dict.fromkeys(r.level for r in rows))
    return "".join(level_chart(level, [r for r in rows if r.level == level]) for level in levels)
