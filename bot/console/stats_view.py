"""A flow's content-free statistics as HTML, for the flows page and the
flow-audit report alike. Counts pass through ``shown`` and shares through
``share``, so a small group is never printed as a number."""

from __future__ import annotations

from bot.console.flow_stats import STATS_DAYS, FlowStats, share, shown
from bot.console.pages import table, text

NO_SOURCE = (
    "No figures: the vault keeps no countable record of this flow's steps, "
    "so none are shown rather than guessed."
)


def stats_block(stats: FlowStats | None) -> str:
    heading = f"<h3>Last {STATS_DAYS} days</h3>"
    if stats is None:
        return f'<div class="stats">{heading}<p>{text(NO_SOURCE)}</p></div>'
    started = stats.started
    lines = [("started", started, "")]
    if stats.completed is not None:
        lines.append(("completed", stats.completed, share(stats.completed, started)))
    lines += [(step.label, step.count, share(step.count, started)) for step in stats.steps]
    if stats.handoffs is not None:
        lines.append(("reached a person", stats.handoffs, share(stats.handoffs, started)))
    rows = (
        f'<tr><td>{text(label)}</td><td class="n">{text(shown(count))}</td>'
        f'<td class="n">{text(part)}</td></tr>'
        for label, count, part in lines
    )
    return (
        f'<div class="stats">{heading}<p>Counted from {text(stats.based_on)}. '
        f"Counts under 5 show as “&lt; 5”, and a share only where it gives no small "
        f"group away.</p>{table(['', 'count', 'of started'], rows)}</div>"
    )
