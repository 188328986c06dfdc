"""What one signed-in viewer may see, read from the vault.

A supervisor sees every participant; a mediator only those assigned to them.
A participant outside the viewer's reach is answered exactly as one that does
not exist, so a code never tells whose it is.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path

from bot.console.audit_trail import AuditQuery, AuditTrailView, read_audit_trail
from bot.console.figures import escalation_figures
from bot.console.flow_facts import read_facts
from bot.console.flow_stats import FlowStats, flow_stats
from bot.console.flows import audit_flows
from bot.console.pictures import Picture, pictures
from bot.console.sessions import ConsoleRole
from bot.console.summary import RAN_DAYS, Summary
from bot.console.weekly import export_csv, weekly
from bot.core.checkin_summary import TREND_CHECKINS, CheckinRecord, summary_text
from bot.core.model import Participant
from bot.escalation.store import all_escalations
from bot.ids import ParticipantId, participant_code
from bot.state.checkin_answers import CheckinAnswers
from bot.state.flow_counts import FlowCounts
from bot.state.participants import ParticipantRegistry
from safety.escalation.record import Escalation
from safety.vault import Vault
from safety.vault.backend import Checkpoint

SHOWN_CHECKINS = 10
# As many summaries as a mediator's desk keeps in view: the latest few.
SHOWN_SUMMARIES = 5


@dataclass(frozen=True)
class Viewer:
    account: str
    role: ConsoleRole

    @property
    def supervisor(self) -> bool:
        return self.role is ConsoleRole.SUPERVISOR


@dataclass(frozen=True)
class TimelineStep:
    at: float
    change: str


@dataclass(frozen=True)
class Timeline:
    code: str
    participant_code: str
    level: str
    state: str
    created_at: float
    steps: tuple[TimelineStep, ...]


@dataclass(frozen=True)
class ParticipantView:
    code: str
    pseudonym: str
    # Matrix id of the assigned mediator, for telling them; never rendered.
    mediator: str | None


_ROLES = re.compile(r"[a-z_]+(,[a-z_]+)*")
_LABELS = {
    "created": "created",
    "sent": "page sent",
    "acknowledged": "acknowledged",
    "reescalated": "re-escalated",
    "further": "a further message folded in",
    "resolved": "resolved",
    "closed_on_deletion": "closed: the participant's data was deleted",
}


def step_label(change: str, detail: str) -> str:
    """What a history entry says on the timeline. The detail is shown only where
    it names roles (whom a re-escalation paged), never where it may name who acted
    (an acknowledgement's detail is the staff member's Matrix id)."""
    label = _LABELS.get(change, change)
    if change == "reescalated" and _ROLES.fullmatch(detail):
        return f"{label} to {detail.replace('_', '-').replace(',', ', ')}"
    return label


@dataclass(frozen=True)
class QuotedPage:
    code: str
    level: str
    created_at: float
    quote: str


@dataclass(frozen=True)
class ParticipantContent:
    checkins: list[CheckinRecord]
    # The message that raised each escalation, as its page quoted it (inert).
    quotes: tuple[QuotedPage, ...]
    # (escalation code, the note's words)
    notes: tuple[tuple[str, str], ...]


# Vault kinds, as bot.escalation.store writes them.
_ESCALATIONS = "escalation"
_NOTES = "note"


class ConsoleData:
    def __init__(self, vault: Vault, project: Path, zone: tzinfo) -> None:
        self._vault = vault
        self._project = project
        self._zone = zone
        self._registry = ParticipantRegistry(vault)

    def _own(self, viewer: Viewer) -> Callable[[str], bool]:
        if viewer.supervisor:
            return lambda _pseudonym: True
        mine = {p.pseudonym for p in self._registry.all() if p.mediator == viewer.account}
        return mine.__contains__

    def _escalations(self, viewer: Viewer) -> list[Escalation]:
        reach = self._own(viewer)
        return [esc for esc in all_escalations(self._vault) if reach(esc.participant)]

    def summary(self, viewer: Viewer, now: float) -> Summary:
        ran = FlowCounts(self._vault, self._zone).totals(RAN_DAYS, now)
        escalations = self._escalations(viewer)
        return Summary(
            generated_at=now,
            escalations=escalation_figures(escalations, now),
            weeks=weekly(escalations, self._zone),
            flows=audit_flows(self._project),
            flows_ran=dict(sorted(ran.items(), key=lambda item: (-item[1], item[0]))),
        )

    def audit_trail(
        self, viewer: Viewer, query: AuditQuery, published: Checkpoint | None = None
    ) -> AuditTrailView | None:
        """The audit trail is about everyone: for supervisors only."""
        if not viewer.supervisor:
            return None
        return read_audit_trail(self._vault, query=query, published=published)

    def escalation_times_csv(self, viewer: Viewer) -> str:
        return export_csv(self._escalations(viewer), self._zone)

    def timeline(self, viewer: Viewer, code: str) -> Timeline | None:
        wanted = code.strip().upper()
        for esc in self._escalations(viewer):
            if esc.code == wanted:
                return Timeline(
                    code=esc.code,
                    participant_code=participant_code(ParticipantId(esc.participant)),
                    level=esc.level,
                    state=esc.state,
                    created_at=esc.created_at,
                    steps=tuple(
                        TimelineStep(at, step_label(change, detail))
                        for at, change, detail in esc.history
                    ),
                )
        return None

    def participant_codes(self, viewer: Viewer) -> list[str]:
        """The codes of everyone the viewer may open, sorted (codes only: no name,
        no state that would set one participant apart)."""
        reach = self._own(viewer)
        return sorted(
            participant_code(p.pseudonym) for p in self._registry.all() if reach(p.pseudonym)
        )

    def participant(self, viewer: Viewer, code: str) -> ParticipantView | None:
        found: Participant | None = self._registry.by_code(code)
        if found is None or not self._own(viewer)(found.pseudonym):
            return None
        return ParticipantView(
            code=participant_code(found.pseudonym),
            pseudonym=found.pseudonym,
            mediator=found.mediator,
        )

    def flow_stats(self, now: float) -> dict[str, FlowStats]:
        """Content-free figures per flow over the last 30 days, for every participant
        together (a mediator's few would single people out sooner)."""
        return flow_stats(read_facts(self._vault), now)

    def pictures(self) -> list[Picture]:
        """The flow pictures' DOT text, made afresh from the dialogue files."""
        return pictures(self._project)

    def summaries(self, pseudonym: str) -> list[str]:
        """The desk's summaries of the latest finished check-ins, newest first: what
        the assigned mediator has already been sent, so they may see it again
        without a reason (the caller records each showing)."""
        history = CheckinAnswers(self._vault).recent(pseudonym, SHOWN_SUMMARIES + TREND_CHECKINS)
        code = participant_code(ParticipantId(pseudonym))
        return [
            summary_text(code, record, history[i : i + TREND_CHECKINS], zone=self._zone)
            for i, record in enumerate(history[:SHOWN_SUMMARIES])
        ]

    def content(self, pseudonym: str) -> ParticipantContent:
        """Everything of one participant's own words, and staff's notes on them:
        opened only with a reason."""
        answers = CheckinAnswers(self._vault)
        current = answers.current(pseudonym)
        finished = answers.recent(pseudonym, SHOWN_CHECKINS)
        pages = sorted(
            (
                Escalation.from_record(record)
                for _, record in self._vault.items(_ESCALATIONS, pseudonym)
            ),
            key=lambda esc: -esc.created_at,
        )
        return ParticipantContent(
            checkins=([current] if current is not None else []) + finished,
            quotes=tuple(
                QuotedPage(esc.code, esc.level, esc.created_at, esc.quote)
                for esc in pages
                if esc.quote
            ),
            # The note's words and its case only: "by" is a Matrix id.
            notes=tuple(
                (str(note.get("code", "")), str(note.get("note", "")))
                for _, note in self._vault.items(_NOTES, pseudonym)
            ),
        )
