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
        f"close with !resolve {esc.code} <note>; talk to them with !take {esc.participant_code}.",
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
        f"Act: !ack {esc.code} if not yet acknowledged; !take {esc.participant_code} to talk."
    )
    return "\n".join(lines)
