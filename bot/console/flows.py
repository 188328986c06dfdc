"""The dialogue's rules and stories and the static safety audit over them.

Only the static audit: the dynamic one drives conversations through a running
Rasa, which a read-only console must not do.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from safety.flow_audit import run_static_audit
from safety.flow_audit.dialogue_files import load_flows


@dataclass(frozen=True)
class FlowLine:
    kind: str
    name: str
    source: str
    violations: int


@dataclass(frozen=True)
class ViolationLine:
    prop: str
    where: str
    detail: str


@dataclass(frozen=True)
class FlowAudit:
    passes: bool
    rules: int
    stories: int
    checks: int
    violations: tuple[ViolationLine, ...]
    flows: tuple[FlowLine, ...]


def audit_flows(project: Path) -> FlowAudit:
    report = run_static_audit(project)
    flows = load_flows(project / "dialogues", project)
    found = tuple(ViolationLine(v.prop.name.lower(), v.where, v.detail) for v in report.violations)
    return FlowAudit(
        passes=not found,
        rules=report.rules,
        stories=report.stories,
        checks=report.checks,
        violations=found,
        flows=tuple(
            FlowLine(
                kind=flow.kind,
                name=flow.name,
                source=flow.source,
                # Violations found in one flow carry its `where`; the rest
                # (forms, responses, NLU data) are listed separately.
                violations=sum(1 for v in found if v.where == flow.where),
            )
            for flow in flows
        ),
    )
