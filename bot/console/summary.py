"""What the console's escalations and flows pages show, gathered in one pass over
the vault and the dialogue files (``bot.console.data`` builds it per viewer;
the audit trail is read for its own page only)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.console.figures import EscalationFigures
from bot.console.flows import FlowAudit
from bot.console.weekly import WeekRow

RAN_DAYS = 30


@dataclass(frozen=True)
class Summary:
    generated_at: float
    escalations: EscalationFigures
    flows: FlowAudit
    # What the flows produced over the last RAN_DAYS days, most frequent first.
    flows_ran: dict[str, int]
    # Response times per ISO week and level, newest week first.
    weeks: tuple[WeekRow, ...] = ()
