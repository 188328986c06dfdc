"""The console's page sections, rendered on the server.

No script and no external resource (the Content-Security-Policy forbids both);
every value from the vault or the dialogue files passes through ``text``.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from datetime import datetime, tzinfo

from bot.console.audit_trail import AuditTrailView
from bot.console.flows import FlowAudit
from bot.console.summary import RAN_DAYS


def text(value: object) -> str:
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


def row(cells: Iterable[object], numeric: Sequence[int] = ()) -> str:
    tds = (
        f'<td class="n">{text(cell)}</td>' if i in numeric else f"<td>{text(cell)}</td>"
        for i, cell in enumerate(cells)
    )
    return "<tr>" + "".join(tds) + "</tr>"


def table(headings: Sequence[str], rows: Iterable[str]) -> str:
    head = "".join(f"<th>{text(h)}</th>" for h in headings)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _verdict(ok: bool, good: str, bad: str) -> str:
    return (
        f'<span class="ok">{text(good)}</span>' if ok else f'<span class="bad">{text(bad)}</span>'
    )


def audit_section(audit: AuditTrailView, zone: tzinfo) -> str:
    if audit.intact:
        status = _verdict(True, "the chain verifies", "")
    else:
        status = _verdict(False, "", f"BROKEN at entry {audit.first_bad}: {audit.problem}")
    head = (
        "no head yet"
        if audit.head is None
        else f"head: entry {text(audit.head.seq)}, {text(moment(audit.head.at, zone))}, "
        f"MAC <code>{text(audit.head.mac)}</code>"
    )
    entries = table(
        ["#", "time", "action", "actor", "participant"],
        (
            row([line.seq, moment(line.at, zone), line.action, line.actor, line.participant])
            for line in audit.latest
        ),
    )
    which = "matching entries" if audit.query.filtered else "entries"
    return (
        "<h2>Audit trail</h2>"
        f"<p>{status}; {text(audit.entries)} entries; {head}</p>"
        f"<h3>{text(len(audit.latest))} {which}, newest first</h3>{entries}"
        "<p>Reasons are sealed and are not shown here.</p>"
    )


def flows_section(flows: FlowAudit) -> str:
    status = _verdict(
        flows.passes,
        "the static safety audit passes",
        f"the static safety audit fails: {len(flows.violations)} violations",
    )
    counts = (
        f"rules {text(flows.rules)}, stories {text(flows.stories)}, "
        f"checks {text(flows.checks)}, violations {text(len(flows.violations))}"
    )
    violations = (
        table(
            ["property", "where", "what"],
            (row([v.prop, v.where, v.detail]) for v in flows.violations),
        )
        if flows.violations
        else ""
    )
    listed = table(
        ["kind", "name", "file", "violations"],
        (
            row([flow.kind, flow.name, flow.source, flow.violations], numeric=(3,))
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
        body = table(
            ["what the dialogue produced", "times"],
            (row([name, count], numeric=(1,)) for name, count in ran.items()),
        )
    return f"<h3>Which flows ran (last {RAN_DAYS} days)</h3>{body}"
