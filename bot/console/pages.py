"""The console's one HTML page, rendered on the server.

No script and no external resource (the Content-Security-Policy forbids both);
every value from the vault or the dialogue files passes through ``_text``.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from datetime import datetime, tzinfo

from bot.console.audit_trail import AuditTrailView
from bot.console.figures import EscalationFigures
from bot.console.flows import FlowAudit
from bot.console.summary import RAN_DAYS, Summary

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; }
th, td { border: 1px solid #ccc; padding: 0.2rem 0.6rem; text-align: left; }
th { background: #f3f3f3; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.ok { color: #176b2c; font-weight: bold; }
.bad { color: #a4161a; font-weight: bold; }
code { font-size: 0.9em; }
"""


def _text(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    whole = round(seconds)
    if whole < 120:
        return f"{whole} s"
    minutes, secs = divmod(whole, 60)
    if minutes < 120:
        return f"{minutes} min {secs} s"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"


def moment(at: float | None, zone: tzinfo) -> str:
    if at is None:
        return "–"
    return datetime.fromtimestamp(at, zone).strftime("%Y-%m-%d %H:%M:%S %Z")


def _row(cells: Iterable[object], numeric: Sequence[int] = ()) -> str:
    tds = (
        f'<td class="n">{_text(cell)}</td>' if i in numeric else f"<td>{_text(cell)}</td>"
        for i, cell in enumerate(cells)
    )
    return "<tr>" + "".join(tds) + "</tr>"


def _table(headings: Sequence[str], rows: Iterable[str]) -> str:
    head = "".join(f"<th>{_text(h)}</th>" for h in headings)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _verdict(ok: bool, good: str, bad: str) -> str:
    return (
        f'<span class="ok">{_text(good)}</span>' if ok else f'<span class="bad">{_text(bad)}</span>'
    )


def escalations_section(figures: EscalationFigures) -> str:
    levels = _table(
        ["level", "escalations", "acknowledged", "p50", "p90", "max", "re-escalated", "open"],
        (
            _row(
                [
                    level.level,
                    level.count,
                    level.acknowledged,
                    duration(level.p50_seconds),
                    duration(level.p90_seconds),
                    duration(level.max_seconds),
                    level.reescalated,
                    level.still_open,
                ],
                numeric=range(1, 8),
            )
            for level in figures.levels
        ),
    )
    if figures.open:
        still_open = _table(
            ["code", "participant", "level", "age", "state", "re-escalations"],
            (
                _row(
                    [
                        esc.code,
                        esc.participant_code,
                        esc.level,
                        duration(esc.age_seconds),
                        esc.state,
                        esc.reescalations,
                    ],
                    numeric=(3, 5),
                )
                for esc in figures.open
            ),
        )
    else:
        still_open = "<p>No escalation is open.</p>"
    return (
        "<h2>Escalation response times</h2>"
        "<p>Time from the page to the first acknowledgement (or resolve).</p>"
        f"{levels}<h3>Open escalations</h3>{still_open}"
    )


def audit_section(audit: AuditTrailView, zone: tzinfo) -> str:
    if audit.intact:
        status = _verdict(True, "the chain verifies", "")
    else:
        status = _verdict(False, "", f"BROKEN at entry {audit.first_bad}: {audit.problem}")
    head = (
        "no head yet"
        if audit.head is None
        else f"head: entry {_text(audit.head.seq)}, {_text(moment(audit.head.at, zone))}, "
        f"MAC <code>{_text(audit.head.mac)}</code>"
    )
    entries = _table(
        ["#", "time", "action", "actor", "participant"],
        (
            _row([line.seq, moment(line.at, zone), line.action, line.actor, line.participant])
            for line in audit.latest
        ),
    )
    return (
        "<h2>Audit trail</h2>"
        f"<p>{status}; {_text(audit.entries)} entries; {head}</p>"
        f"<h3>Latest {_text(len(audit.latest))} entries, newest first</h3>{entries}"
        "<p>Reasons are sealed and are not shown here.</p>"
    )


def flows_section(flows: FlowAudit) -> str:
    status = _verdict(
        flows.passes,
        "the static safety audit passes",
        f"the static safety audit fails: {len(flows.violations)} violations",
    )
    counts = (
        f"rules {_text(flows.rules)}, stories {_text(flows.stories)}, "
        f"checks {_text(flows.checks)}, violations {_text(len(flows.violations))}"
    )
    violations = (
        _table(
            ["property", "where", "what"],
            (_row([v.prop, v.where, v.detail]) for v in flows.violations),
        )
        if flows.violations
        else ""
    )
    listed = _table(
        ["kind", "name", "file", "violations"],
        (
            _row([flow.kind, flow.name, flow.source, flow.violations], numeric=(3,))
            for flow in flows.flows
        ),
    )
    return (
        "<h2>Dialogue flows</h2>"
        f"<p>{status} ({counts}).</p>{violations}<h3>Rules and stories</h3>{listed}"
    )


def flows_ran_section(ran: dict[str, int]) -> str:
    if not ran:
        body = f"<p>No flow has run in the last {RAN_DAYS} days.</p>"
    else:
        body = _table(
            ["what the dialogue produced", "times"],
            (_row([name, count], numeric=(1,)) for name, count in ran.items()),
        )
    return f"<h3>Which flows ran (last {RAN_DAYS} days)</h3>{body}"


def render_page(summary: Summary, zone: tzinfo, json_href: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        "<title>samtal supervisor console</title>"
        f"<style>{_STYLE}</style></head><body>"
        "<h1>samtal supervisor console</h1>"
        f"<p>As of {_text(moment(summary.generated_at, zone))}. "
        f'Read-only. <a href="{_text(json_href)}">The same figures as JSON</a>.</p>'
        f"{escalations_section(summary.escalations)}"
        f"{audit_section(summary.audit, zone)}"
        f"{flows_section(summary.flows)}"
        f"{flows_ran_section(summary.flows_ran)}"
        "</body></html>"
    )
