"""The flow-audit report: one self-contained HTML file to keep or pass on. Pure.

It holds the static safety audit's verdict for the whole dialogue and for each
dialogue file, and each flow's content-free figures of the last 30 days: no
participant, no staff member, no word anyone wrote. The style is inline and
there is no script, image or link to load, so the file reads the same offline,
years later, as on the day it was made.
"""

from __future__ import annotations

from datetime import tzinfo

from bot.console.flow_stats import STATS_DAYS, FlowStats
from bot.console.flows import FlowAudit
from bot.console.pages import flows_section, moment, text
from bot.console.pictures import Picture
from bot.console.stats_view import stats_block

_STYLE = (
    "body{font-family:sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}"
    "table{border-collapse:collapse;margin:0.5rem 0}"
    "th,td{border:1px solid #ccc;padding:0.2rem 0.5rem;text-align:left}"
    "td.n{text-align:right}.ok{color:#1b5e20}.bad{color:#a4161a;font-weight:bold}"
    "section{border-top:1px solid #ddd;margin-top:1.5rem}"
)


def _verdict(source: str, audit: FlowAudit) -> str:
    found = sum(flow.violations for flow in audit.flows if flow.source == source)
    if found:
        return f'<p class="bad">{text(found)} safety audit violations in this file.</p>'
    return '<p class="ok">The static safety audit finds nothing in this file.</p>'


def flow_report(
    audit: FlowAudit,
    drawn: list[Picture],
    stats: dict[str, FlowStats],
    generated_at: float,
    zone: tzinfo,
) -> str:
    flows = "".join(
        f"<section><h2>{text(p.source)}</h2><p>{text(p.flows)} rules and stories.</p>"
        f"{_verdict(p.source, audit)}{stats_block(stats.get(p.name))}</section>"
        for p in drawn
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        "<title>samtal flow-audit report</title>"
        f"<style>{_STYLE}</style></head><body>"
        "<h1>samtal flow-audit report</h1>"
        f"<p>Made {text(moment(generated_at, zone))}. The static safety audit of the "
        f"dialogue files (every risk path reaches a person, consent gates every question, "
        f"withdrawal works from every state), and for each dialogue file the last "
        f"{text(STATS_DAYS)} days in counts and shares for every participant together. "
        "No participant, staff member or message is in this report.</p>"
        f"{flows_section(audit)}{flows}</body></html>"
    )
