"""What a staff member reads about participants in their desk. Pure.

Codes, states and times only: never what a participant wrote, and never their
Matrix id (a mediator knows the person; the desk shows the code).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

from bot.core.checkins import CheckinState
from bot.core.model import Participant


@dataclass(frozen=True)
class OpenPage:
    code: str
    level: str
    state: str


@dataclass(frozen=True)
class ParticipantView:
    code: str
    participant: Participant
    checkins: CheckinState
    pages: tuple[OpenPage, ...]


def status_word(participant: Participant, consent_version: str) -> str:
    if participant.left_at is not None:
        return "left the programme"
    if participant.handoff_by is not None:
        return f"talking with {participant.handoff_by}"
    if participant.room_id is None:
        return "no chat yet"
    if not participant.has_consented(consent_version):
        return "no consent yet"
    if participant.paused:
        return "paused"
    return "active"


def _day(moment: float | None, zone: tzinfo) -> str:
    if moment is None:
        return "never"
    return datetime.fromtimestamp(moment, zone).strftime("%Y-%m-%d %H:%M")


def _pages(pages: Sequence[OpenPage]) -> str:
    if not pages:
        return "no open pages"
    return "open: " + ", ".join(f"{p.code} {p.level} ({p.state})" for p in pages)


def list_line(view: ParticipantView, consent_version: str, zone: tzinfo) -> str:
    status = status_word(view.participant, consent_version)
    last = _day(view.checkins.completed_at, zone)
    return f"• {view.code} · {status} · last check-in {last} · {_pages(view.pages)}"


def list_text(views: Sequence[ParticipantView], consent_version: str, zone: tzinfo) -> str:
    if not views:
        return "You have no participants to list."
    ordered = sorted(views, key=lambda view: view.code)
    lines = [f"{len(ordered)} participant(s):"]
    lines += [list_line(view, consent_version, zone) for view in ordered]
    return "\n".join(lines)


def status_text(view: ParticipantView, consent_version: str, zone: tzinfo) -> str:
    participant = view.participant
    state = view.checkins
    lines = [
        f"{view.code} · {status_word(participant, consent_version)}",
        f"Mediator: {participant.mediator or 'none assigned'} · language: {participant.language}",
        f"Check-ins: {participant.schedule or 'no schedule'}"
        + (" (paused)" if participant.paused else ""),
        f"Last check-in finished: {_day(state.completed_at, zone)}"
        + (f" · missed in a row: {state.missed_in_row}" if state.missed_in_row else ""),
        f"Pages: {_pages(view.pages)}",
    ]
    return "\n".join(lines)
