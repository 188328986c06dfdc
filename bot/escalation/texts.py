"""What a mediator reads: short, complete, and with the way to act in it."""

from __future__ import annotations

import time

from safety.escalation.record import Escalation, Notice

_HEADLINE = {
    "imminent": "🔴 IMMINENT RISK",
    "high": "🟠 HIGH RISK",
    "handoff": "🔵 A participant asks for a person",
}


def _clock(moment: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(moment))


def notice_body(esc: Escalation, notice: Notice, people: tuple[str, ...]) -> str:
    headline = _HEADLINE.get(esc.level, esc.level.upper())
    paged = ", ".join(people) if people else "(nobody configured)"
    if notice.kind == "acknowledged":
        return f"✅ {esc.code} acknowledged by {esc.acknowledged_by}."
    if notice.kind == "resolved":
        return f"☑️ {esc.code} resolved."
    if notice.kind == "deleted":
        return (
            f"☑️ {esc.code} closed: participant {esc.participant_code}'s data was deleted. "
            "Its pages are removed from this room; follow up outside samtal if needed."
        )
    if notice.kind == "further":
        return _further_body(esc, notice)
    lines = []
    if notice.kind == "reescalated":
        lines.append(f"⏱ {esc.code} was not acknowledged in time: re-escalated.")
    lines += [
        f"{headline} · {esc.code} · participant {esc.participant_code}",
        f"Signals: {', '.join(esc.signals) or 'none named'}",
    ]
    if esc.quote is not None:
        lines.append(f"Message: «{esc.quote}»")
    lines += [
        f"Time: {_clock(esc.created_at)}",
        f"Paged: {paged}",
        f"Act: acknowledge with ✅ on this message or !ack {esc.code}; "
        f"close with !resolve {esc.code} <note>; "
        f"talk to them with !take {esc.participant_code} <reason>.",
    ]
    return "\n".join(lines)


def _further_body(esc: Escalation, notice: Notice) -> str:
    times = "1 more message" if esc.further == 1 else f"{esc.further} more messages"
    lines = [
        f"➕ {esc.code} · participant {esc.participant_code}: {times} at risk since the page "
        f"({esc.state}).",
    ]
    if notice.quote is not None:
        lines.append(f"Latest: «{notice.quote}»")
    lines.append(
        f"Act: !ack {esc.code} if not yet acknowledged; "
        f"!take {esc.participant_code} <reason> to talk."
    )
    return "\n".join(lines)


_TEAM_HEADLINE = {"imminent": "🔴 imminent", "high": "🟠 high", "handoff": "🔵 handoff"}


def team_line(esc: Escalation, notice: Notice, mediator: str | None) -> str | None:
    """The shared room's line about a notice: that a page exists and whose desk has
    it, never who it is about or what was written."""
    whose = f"one of {mediator}'s participants" if mediator else "a participant without a mediator"
    level = _TEAM_HEADLINE.get(esc.level, esc.level)
    if notice.kind == "page":
        return f"{level} page {esc.code} is open for {whose}; the details are in the desks paged."
    if notice.kind == "reescalated":
        return f"⏱ {esc.code} was not acknowledged in time and went further up the chain."
    if notice.kind == "acknowledged":
        return f"✅ {esc.code} acknowledged."
    if notice.kind in ("resolved", "deleted"):
        return f"☑️ {esc.code} closed."
    return None


def desk_skipped_body(person: str) -> str:
    return (
        f"⚠️ The desk of {person} has someone in it besides {person} and samtal, so no "
        "participant content goes there: their pages go to the next person in the chain "
        "until only they and samtal are in it."
    )
