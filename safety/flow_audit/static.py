"""The static audit: all properties over the dialogue files of a project."""

from __future__ import annotations

from pathlib import Path

from safety.flow_audit import static_consent, static_data, static_escape
from safety.flow_audit.actions_scan import scan_actions
from safety.flow_audit.dialogue_files import load_domain, load_flows
from safety.flow_audit.model import StaticReport


def run_static_audit(project: Path) -> StaticReport:
    """Check properties (a), (b), (c) and completeness over ``project``'s dialogue."""
    dialogues = project / "dialogues"
    domain = load_domain(dialogues)
    flows = load_flows(dialogues, project)
    emits = scan_actions(dialogues / "actions")
    report = StaticReport(
        rules=sum(1 for f in flows if f.kind == "rule"),
        stories=sum(1 for f in flows if f.kind == "story"),
    )
    for checks, violations in (
        static_consent.check_flows(flows, domain, emits),
        static_consent.check_questions(domain, emits),
        static_escape.check_withdraw(flows, domain, emits),
        static_escape.check_risk(flows, domain, emits),
        static_data.check_names(flows, domain),
        static_data.check_languages(domain),
        static_data.check_nlu(project, domain),
    ):
        report.checks += checks
        report.violations.extend(violations)
    return report
