"""The console's HTML pages: a layout, forms with their CSRF token, and the
pages built from the sections in ``bot.console.pages``.

Every value passes through ``text``; the only style is the local stylesheet,
and no page has a script.
"""

from __future__ import annotations

from datetime import tzinfo
from urllib.parse import quote, urlencode

from bot.console.audit_trail import AuditTrailView
from bot.console.chart import weekly_charts
from bot.console.data import ParticipantContent, ParticipantView, Timeline, Viewer
from bot.console.figures import EscalationFigures
from bot.console.flow_stats import FlowStats
from bot.console.flows import FlowAudit
from bot.console.pages import (
    audit_section,
    duration,
    flows_ran_section,
    flows_section,
    moment,
    row,
    table,
    text,
)
from bot.console.pictures import Picture
from bot.console.stats_view import stats_block
from bot.console.summary import Summary
from bot.core.checkin_summary import CheckinRecord
from safety.audit.entry import ACTIONS

STYLESHEET = "/static/console.css"
EXPORT_HREF = "/export/escalation-times.csv"
REPORT_HREF = "/export/flow-audit.html"
CSRF_FIELD = "csrf"


def _hidden_csrf(csrf: str) -> str:
    return f'<input type="hidden" name="{CSRF_FIELD}" value="{text(csrf)}">'


def _nav(viewer: Viewer, csrf: str) -> str:
    links = [("/", "Escalations"), ("/flows", "Dialogue flows")]
    if viewer.supervisor:
        links += [("/audit", "Audit trail"), ("/participants", "Participants")]
    else:
        links += [("/participants", "My participants")]
    anchors = "".join(f'<a href="{href}">{text(name)}</a>' for href, name in links)
    return (
        f'<nav>{anchors}<span class="role">signed in as {text(viewer.role.value)}</span>'
        f'<form method="post" action="/logout">{_hidden_csrf(csrf)}'
        '<button type="submit">Log out</button></form></nav>'
    )


def page(title: str, body: str, viewer: Viewer | None = None, csrf: str = "") -> str:
    nav = _nav(viewer, csrf) if viewer is not None else ""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{text(title)} · samtal console</title>"
        f'<link rel="stylesheet" href="{STYLESHEET}"></head><body>'
        f"{nav}<h1>{text(title)}</h1>{body}</body></html>"
    )


def login_page(csrf: str, notice: str | None = None) -> str:
    said = f'<p class="notice">{text(notice)}</p>' if notice else ""
    return page(
        "Log in",
        f"{said}<p>Type your Matrix id. If it belongs to a supervisor or a mediator, "
        "samtal sends a one-time code to your desk in Matrix.</p>"
        f'<form method="post" action="/login">{_hidden_csrf(csrf)}'
        '<label for="account">Matrix id</label>'
        '<input type="text" id="account" name="account" autocomplete="username" '
        'placeholder="@name:example.org" required>'
        '<button type="submit">Send me a code</button></form>',
    )


def code_page(csrf: str, notice: str | None = None) -> str:
    said = f'<p class="notice">{text(notice)}</p>' if notice else ""
    return page(
        "Type your code",
        f"{said}<p>If the id you typed may use the console, a code is now in your desk "
        "(the room “samtal · my desk”). It works once, for five minutes.</p>"
        f'<form method="post" action="/login/code">{_hidden_csrf(csrf)}'
        '<label for="code">Code</label>'
        '<input type="text" id="code" name="code" inputmode="numeric" '
        'autocomplete="one-time-code" required>'
        '<button type="submit">Log in</button></form>'
        '<p><a href="/login">Ask for a new code</a></p>',
    )


def message_page(title: str, message: str, viewer: Viewer | None = None, csrf: str = "") -> str:
    return page(title, f"<p>{text(message)}</p>", viewer, csrf)


def _open_table(figures: EscalationFigures) -> str:
    if not figures.open:
        return "<p>No escalation is open.</p>"
    rows = []
    for esc in figures.open:
        link = f'<a href="/escalations/{quote(esc.code)}">{text(esc.code)}</a>'
        cells = [esc.participant_code, esc.level, duration(esc.age_seconds), esc.state]
        rest = "".join(f"<td>{text(cell)}</td>" for cell in cells)
        chain = ", ".join(role.replace("_", "-") for role in esc.paged)
        rows.append(
            f"<tr><td>{link}</td>{rest}<td>{_due(esc.due_in_seconds)}</td>"
            f'<td>{text(chain)}</td><td class="n">{text(esc.reescalations)}</td></tr>'
        )
    return table(
        ["code", "participant", "level", "age", "state", "answer due", "paged", "re-escalations"],
        rows,
    )


def _due(seconds: float | None) -> str:
    if seconds is None:
        return "answered"
    if seconds < 0:
        return f'<span class="bad">overdue by {text(duration(-seconds))}</span>'
    return f"in {text(duration(seconds))}"


def _weeks_table(summary: Summary) -> str:
    if not summary.weeks:
        return "<p>No escalations yet.</p>"
    return table(
        ["week", "level", "escalations", "answered", "p50", "p90", "max"],
        (
            row(
                [
                    week.week,
                    week.level,
                    week.count,
                    week.answered,
                    duration(week.p50_seconds),
                    duration(week.p90_seconds),
                    duration(week.max_seconds),
                ],
                numeric=range(2, 7),
            )
            for week in summary.weeks
        ),
    )


def escalations_page(summary: Summary, viewer: Viewer, csrf: str, zone: tzinfo) -> str:
    figures = summary.escalations
    levels = table(
        ["level", "escalations", "acknowledged", "p50", "p90", "max", "re-escalated", "open"],
        (
            row(
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
    scope = "every participant" if viewer.supervisor else "your own participants"
    export = (
        f'<p><a href="{EXPORT_HREF}">Download every escalation\'s response time as CSV</a> '
        "(week, level and times only; the download is recorded in the audit trail).</p>"
        if viewer.supervisor
        else ""
    )
    body = (
        f"<p>As of {text(moment(summary.generated_at, zone))}, for {text(scope)}. "
        "Response time runs from the page to the first acknowledgement (or resolve).</p>"
        f"{levels}<h2>Open escalations</h2>{_open_table(figures)}"
        "<h2>Response times per week</h2>"
        '<p class="legend">Dark: p50. Light: p90. Red tick: the longest. '
        "Weeks by ISO number, the last 12 with escalations.</p>"
        f"{weekly_charts(summary.weeks)}{_weeks_table(summary)}{export}"
    )
    return page("Escalations", body, viewer, csrf)


def timeline_page(timeline: Timeline, viewer: Viewer, csrf: str, zone: tzinfo) -> str:
    steps = table(
        ["time", "what happened", "after"],
        (
            row([moment(step.at, zone), step.change, duration(step.at - timeline.created_at)])
            for step in timeline.steps
        ),
    )
    body = (
        f"<p>Participant {text(timeline.participant_code)}, level {text(timeline.level)}, "
        f"now {text(timeline.state)}. Created {text(moment(timeline.created_at, zone))}.</p>"
        f"{steps}"
    )
    return page(f"Escalation {timeline.code}", body, viewer, csrf)


def _audit_filter(audit: AuditTrailView) -> str:
    chosen = audit.query.action
    options = '<option value="">every action</option>' + "".join(
        f'<option value="{text(action)}"{" selected" if action == chosen else ""}>'
        f"{text(action)}</option>"
        for action in sorted(ACTIONS)
    )
    return (
        '<form method="get" action="/audit">'
        f'<label for="action">Action</label><select id="action" name="action">{options}</select>'
        '<label for="actor">Actor (a role or a pseudonym such as staff:…)</label>'
        f'<input type="text" id="actor" name="actor" value="{text(audit.query.actor or "")}">'
        '<button type="submit">Show</button></form>'
    )


def _older_link(audit: AuditTrailView) -> str:
    if audit.older_than is None:
        return ""
    query = {"before": str(audit.older_than)}
    if audit.query.action:
        query["action"] = audit.query.action
    if audit.query.actor:
        query["actor"] = audit.query.actor
    return f'<p><a href="/audit?{text(urlencode(query))}">Older entries</a></p>'


def _head_check(audit: AuditTrailView, unreadable: bool, zone: tzinfo) -> str:
    form = (
        '<form method="get" action="/audit">'
        '<label for="head">A head posted to the team room (paste the whole message '
        "“🧾 audit head {…}” or its JSON)</label>"
        '<input type="text" id="head" name="head">'
        '<button type="submit">Check the chain against it</button></form>'
    )
    if unreadable:
        said = '<p class="bad">That is not an audit head; nothing was checked against it.</p>'
    elif audit.published is None:
        said = ""
    elif audit.intact:
        said = (
            f'<p class="ok">The chain holds the published head of entry '
            f"{text(audit.published.seq)} ({text(moment(audit.published.at, zone))})"
            " and goes on from it unbroken.</p>"
        )
    else:
        said = (
            f'<p class="bad">The chain does not hold the published head: {text(audit.problem)}</p>'
        )
    return f"<h2>Compare with a published head</h2>{said}{form}"


def audit_page(
    audit: AuditTrailView, viewer: Viewer, csrf: str, zone: tzinfo, unreadable: bool = False
) -> str:
    body = (
        _audit_filter(audit)
        + audit_section(audit, zone)
        + _older_link(audit)
        + _head_check(audit, unreadable, zone)
    )
    return page("Audit trail", body, viewer, csrf)


def _verdict_of(source: str, audit: FlowAudit) -> str:
    found = sum(flow.violations for flow in audit.flows if flow.source == source)
    if found:
        return f'<span class="bad">{text(found)} safety audit violations</span>'
    return '<span class="ok">the static safety audit finds nothing</span>'


def _figure(p: Picture, available: bool, audit: FlowAudit) -> str:
    caption = (
        f"<figcaption>{text(p.source)}: {text(p.flows)} rules and stories; "
        f"{_verdict_of(p.source, audit)}</figcaption>"
    )
    if not available:
        return f'<figure id="flow-{text(p.name)}">{caption}</figure>'
    return (
        f'<figure id="flow-{text(p.name)}"><img src="/flows/{quote(p.name)}.svg" '
        f'alt="{text(p.name)}: {text(p.flows)} rules and stories from {text(p.source)}">'
        f"{caption}</figure>"
    )


def _pictures(
    drawn: list[Picture], available: bool, audit: FlowAudit, stats: dict[str, FlowStats]
) -> str:
    # The statistics stand beside each picture, and without Graphviz on their own.
    flows = "".join(
        f'<section class="flow">{_figure(p, available, audit)}'
        f"{stats_block(stats.get(p.name))}</section>"
        for p in drawn
    )
    missing = (
        ""
        if available
        else "<p>The pictures need Graphviz on this machine: apt-get install graphviz.</p>"
    )
    return (
        "<h2>Pictures</h2><p>Drawn from the rules and stories at every request: what must "
        "hold first in a note, what the participant says as an ellipse, what samtal "
        "does as a box; a step that reaches a person is outlined in red. Beside each, "
        "how often it ran in the last 30 days, for every participant together: counts "
        "and shares only.</p>" + missing + flows
    )


def flows_page(
    summary: Summary,
    drawn: list[Picture],
    available: bool,
    viewer: Viewer,
    csrf: str,
    stats: dict[str, FlowStats],
) -> str:
    report = (
        f'<p><a href="{REPORT_HREF}">Download the flow-audit report</a> (one HTML file: '
        "the audit's verdicts and these figures, no participant and no staff member; "
        "the download is recorded in the audit trail).</p>"
        if viewer.supervisor
        else ""
    )
    body = (
        flows_section(summary.flows)
        + report
        + flows_ran_section(summary.flows_ran)
        + _pictures(drawn, available, summary.flows, stats)
    )
    return page("Dialogue flows", body, viewer, csrf)


def participants_page(codes: list[str], viewer: Viewer, csrf: str) -> str:
    whose = "Every enrolled participant" if viewer.supervisor else "Your participants"
    listed = (
        '<ul class="codes">'
        + "".join(
            f'<li><a href="/participant?code={quote(code)}">{text(code)}</a></li>' for code in codes
        )
        + "</ul>"
        if codes
        else "<p>None.</p>"
    )
    body = (
        f"<p>{text(whose)}, by code.</p>{listed}"
        "<p>Or open a participant by their code (P-…), as it appears in pages and "
        "summaries.</p>"
        '<form method="get" action="/participant">'
        '<label for="code">Participant code</label>'
        '<input type="text" id="code" name="code" placeholder="P-XXXXXX" required>'
        '<button type="submit">Open</button></form>'
    )
    return page("Participants", body, viewer, csrf)


def _summaries(summaries: list[str] | None) -> str:
    if summaries is None:
        return ""
    shown = "".join(f'<pre class="summary">{text(s)}</pre>' for s in summaries)
    return (
        "<h2>Check-in summaries</h2><p>As your desk was sent them, the latest first. "
        "You are this participant's mediator, so no reason is needed; each showing is "
        "recorded in the audit trail.</p>" + (shown or "<p>No finished check-in yet.</p>")
    )


def participant_page(
    who: ParticipantView,
    viewer: Viewer,
    csrf: str,
    open_until: float | None,
    zone: tzinfo,
    summaries: list[str] | None = None,
) -> str:
    if open_until is not None:
        body = (
            f"<p>Open until {text(moment(open_until, zone))}, because of the reason you "
            f'gave. <a href="/participant/answers?code={quote(who.code)}">Read the check-in '
            "answers</a>.</p>"
        )
    else:
        # The assigned mediator is told of anyone else's access, not of their own.
        told = (
            "" if who.mediator == viewer.account else ", and their mediator is told in their desk"
        )
        body = (
            "<p>Check-in answers and the messages quoted in escalations are a "
            "participant's own words, and staff's notes are about them. To read them, "
            "state why. "
            "Your reason is sealed with the participant's data and the access is written "
            f"to the audit trail{told}. It lasts ten minutes.</p>"
            f'<form method="post" action="/participant/open">{_hidden_csrf(csrf)}'
            f'<input type="hidden" name="code" value="{text(who.code)}">'
            '<label for="reason">Reason</label>'
            '<textarea id="reason" name="reason" required minlength="10" '
            'maxlength="200"></textarea>'
            '<button type="submit">Open the check-in answers</button></form>'
        )
    return page(f"Participant {who.code}", _summaries(summaries) + body, viewer, csrf)


def _checkin(record: CheckinRecord, zone: tzinfo) -> str:
    state = "open" if record.is_open else ("completed" if record.completed else "not completed")
    answers = table(
        ["question", "answer", "time"],
        (
            row([question, answer.value, moment(answer.at, zone)])
            for question, answer in record.answers.items()
        ),
    )
    return f"<h2>Check-in of {text(moment(record.started_at, zone))} ({text(state)})</h2>{answers}"


def _quotes(content: ParticipantContent, zone: tzinfo) -> str:
    if not content.quotes:
        return "<p>No escalation quotes (none was raised, or quotes are turned off).</p>"
    return table(
        ["escalation", "level", "time", "the message, as its page quoted it"],
        (row([q.code, q.level, moment(q.created_at, zone), q.quote]) for q in content.quotes),
    )


def _notes(content: ParticipantContent) -> str:
    if not content.notes:
        return "<p>No notes.</p>"
    return table(["escalation", "note"], (row([code, note]) for code, note in content.notes))


def answers_page(
    who: ParticipantView,
    content: ParticipantContent,
    viewer: Viewer,
    csrf: str,
    open_until: float,
    zone: tzinfo,
) -> str:
    checkins = "".join(_checkin(r, zone) for r in content.checkins) or "<p>No check-in answers.</p>"
    body = (
        f'<p class="notice">Opened with a stated reason, until '
        f"{text(moment(open_until, zone))}. This access is in the audit trail.</p>"
        f"{checkins}<h2>Escalation quotes</h2>{_quotes(content, zone)}"
        f"<h2>Notes</h2>{_notes(content)}"
    )
    return page(f"Check-in answers of {who.code}", body, viewer, csrf)
