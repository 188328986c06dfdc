"""The mediators' daily digest of elevated risk. Pure.

Elevated risk (drinking again, rage without a target, a custody hearing, a
falling mood over three check-ins) and missed check-ins page nobody, but a
mediator should see them before the next meeting. The digest names participant codes and signal
categories only: never a message, never a Matrix id of a participant.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, tzinfo


@dataclass(frozen=True)
class Noted:
    """One elevated assessment, as kept until the next digest."""

    signals: tuple[str, ...]
    at: float


@dataclass(frozen=True)
class DigestLine:
    code: str
    mediator: str | None
    notes: tuple[Noted, ...]


def digest_day_due(now: float, at: time, zone: tzinfo, last_day: str | None) -> str | None:
    """Today's date (local) if today's digest time has passed and it is not yet sent."""
    local = datetime.fromtimestamp(now, zone)
    today = local.date().isoformat()
    if local.time() < at or last_day == today:
        return None
    return today


def digest_body(day: str, lines: Iterable[DigestLine], *, heading: str = "Daily digest") -> str:
    ordered = sorted(lines, key=lambda line: (line.mediator or "", line.code))
    if not ordered:
        return f"🗒 {heading} {day}: no elevated risk or missed check-ins since the last digest."
    text = [
        f"🗒 {heading} {day}: elevated risk or missed check-ins for {len(ordered)} "
        "participant(s). "
        "Nobody was paged for these; talk about them at the next meeting."
    ]
    for line in ordered:
        categories = sorted({s for noted in line.notes for s in noted.signals})
        times = len(line.notes)
        who = f" (mediator {line.mediator})" if line.mediator else ""
        text.append(
            f"• participant {line.code}{who}: {', '.join(categories) or 'unnamed'}"
            f" · {times} time{'s' if times != 1 else ''}"
        )
    return "\n".join(text)
