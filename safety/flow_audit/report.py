"""Text reports for people (supervisors, CI logs)."""

from __future__ import annotations

from safety.flow_audit.model import DynamicReport, StaticReport, Violation

SHOWN = 20


def _violations(violations: list[Violation]) -> list[str]:
    lines = [f"  {v.line()}" for v in violations[:SHOWN]]
    if len(violations) > SHOWN:
        lines.append(f"  ... and {len(violations) - SHOWN} more")
    return lines


def static_text(report: StaticReport) -> str:
    lines = [
        "dialogue audit (static: rules, stories, forms, domain, actions)",
        f"  rules {report.rules}, stories {report.stories}, checks {report.checks}",
        f"  violations: {len(report.violations)}",
        *_violations(report.violations),
    ]
    return "\n".join(lines)


def dynamic_text(report: DynamicReport) -> str:
    rate = report.turns / report.seconds if report.seconds else 0.0
    lines = [
        "dialogue audit (dynamic: randomised conversations through Rasa)",
        f"  conversations {report.conversations}, turns {report.turns}, "
        f"{report.seconds:.1f} s ({rate:.0f} turns/s)",
        f"  check-in questions seen {report.checkin_questions}",
    ]
    for probe, count in sorted(report.probes.items()):
        states = len(report.probe_states.get(probe, set()))
        lines.append(f"  probe {probe}: {count} times, from {states} distinct states")
    lines.append(f"  violations: {len(report.violations)}")
    lines.extend(_violations(report.violations))
    if report.errors:
        lines.append(f"  conversations that could not finish: {len(report.errors)}")
        lines.extend(f"  {e}" for e in report.errors[:SHOWN])
    return "\n".join(lines)
