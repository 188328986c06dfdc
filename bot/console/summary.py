"""Everything one console page shows, gathered in one pass over the vault and
the dialogue files."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import tzinfo
from pathlib import Path
from typing import Any

from bot.console.audit_trail import AuditTrailView, read_audit_trail
from bot.console.figures import EscalationFigures, escalation_figures
from bot.console.flows import FlowAudit, audit_flows
from bot.escalation.store import all_escalations
from bot.state.flow_counts import FlowCounts
from safety.vault import Vault


@dataclass(frozen=True)
class Summary:
    generated_at: float
    escalations: EscalationFigures
    audit: AuditTrailView
    flows: FlowAudit
    # What the flows produced over the last RAN_DAYS days, most frequent first.
    flows_ran: dict[str, int]


RAN_DAYS = 30


def build_summary(vault: Vault, project: Path, now: float, zone: tzinfo) -> Summary:
    ran = FlowCounts(vault, zone).totals(RAN_DAYS, now)
    return Summary(
        generated_at=now,
        escalations=escalation_figures(all_escalations(vault), now),
        audit=read_audit_trail(vault),
        flows=audit_flows(project),
        flows_ran=dict(sorted(ran.items(), key=lambda item: (-item[1], item[0]))),
    )


def summary_json(summary: Summary) -> dict[str, Any]:
    return asdict(summary)
