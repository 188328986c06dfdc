"""The programme run from a desk: what each allowed command does.

Who may run which command on whom was decided before any of this runs
(bot.core.authorisation). Every change is recorded in the audit trail, and
every time a participant's content is shown to staff the trail records it
first: if it cannot, nothing is shown.
"""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import tzinfo

from bot import logs
from bot.checkins.scheduler import CheckinScheduler
from bot.config import GatewayConfig
from bot.core.authorisation import Role
from bot.core.checkin_summary import TREND_CHECKINS, summary_text
from bot.core.commands import Command
from bot.core.model import Participant
from bot.core.staff_views import OpenPage, ParticipantView, list_text, status_text
from bot.escalation.batching import group_by_size
from bot.escalation.desks import Desks
from bot.escalation.engine import EscalationEngine
from bot.ids import participant_code
from bot.participants.accountability import Accountability
from bot.participants.opening import ChatOpening
from bot.state.checkin_answers import CheckinAnswers
from bot.state.checkins import CheckinStore
from bot.state.participants import ParticipantRegistry
from bot.transports.idempotency import transaction_id
from bot.transports.port import Outbox
from safety.vault import Vault

_NOTE_KIND = "note"


class Programme:
    def __init__(
        self,
        config: GatewayConfig,
        vault: Vault,
        registry: ParticipantRegistry,
        checkins: CheckinStore,
        answers: CheckinAnswers,
        engine: EscalationEngine,
        scheduler: CheckinScheduler,
        opening: ChatOpening,
        desks: Desks,
        sender: Outbox,
        accountability: Accountability,
    ) -> None:
        self._config = config
        self._vault = vault
        self._registry = registry
        self._checkins = checkins
        self._answers = answers
        self._engine = engine
        self._scheduler = scheduler
        self._opening = opening
        self._desks = desks
        self._sender = sender
        self._accountability = accountability

    @property
    def _zone(self) -> tzinfo:
        return self._config.dialogue.zone

    @property
    def _consent_version(self) -> str:
        return self._config.dialogue.consent_version

    def _view(self, participant: Participant) -> ParticipantView:
        state, _ = self._checkins.get(participant.pseudonym)
        pages = tuple(
            OpenPage(esc.code, esc.level, esc.state)
            for esc in self._engine.unresolved_for(participant.pseudonym)
        )
        return ParticipantView(participant_code(participant.pseudonym), participant, state, pages)

    def list_for(self, actor: str, roles: frozenset[Role], routed: set[str]) -> str:
        everyone = Role.SUPERVISOR in roles
        mine = [
            p
            for p in self._registry.all()
            if everyone or p.mediator == actor or p.pseudonym in routed
        ]
        return list_text([self._view(p) for p in mine], self._consent_version, self._zone)

    def status(self, participant: Participant) -> str:
        return status_text(self._view(participant), self._consent_version, self._zone)

    async def answers(
        self, participant: Participant, command: Command, actor: str, *, with_reason: bool
    ) -> tuple[str, ...]:
        count = command.count or 1
        records = self._answers.recent(participant.pseudonym, max(count, TREND_CHECKINS))
        code = participant_code(participant.pseudonym)
        if not records:
            return (f"{code}: no finished check-ins are kept.",)
        what = f"check-in answers ({min(count, len(records))}) read from a desk"
        staff = self._accountability.staff(actor)
        if with_reason:
            self._accountability.record_with_reason(
                "content_access", staff, participant.pseudonym, what, command.text
            )
        else:
            self._accountability.record(
                "content_access", staff, participant.pseudonym, what, required=True
            )
        summaries = [
            summary_text(code, record, records[index:], zone=self._zone)
            for index, record in enumerate(records[:count])
        ]
        if participant.mediator is not None and participant.mediator != actor:
            await self.tell_mediator(participant, actor, "read their check-in answers")
        return _in_messages(summaries)

    async def tell_mediator(self, participant: Participant, actor: str, what: str) -> None:
        """The assigned mediator hears in their desk when someone else read their
        participant's answers or took over the conversation (the reason is in the
        audit trail)."""
        mediator = participant.mediator
        room_id = self._desks.room_of(mediator) if mediator else None
        if mediator is None or room_id is None or not self._desks.usable(mediator):
            return
        code = participant_code(participant.pseudonym)
        try:
            await self._sender.notice(
                room_id,
                f"ℹ️ {actor} {what} of {code}; the reason is in the audit trail.",
                transaction_id(f"told {mediator} {code} {actor} {what} {time.time()}", 0),
                self._desks.members_of(mediator),
            )
        except Exception as exc:  # what was done stands; the telling is best effort
            logs.warning("mediator_not_told", error=type(exc).__name__)

    def note(self, participant: Participant, command: Command, actor: str) -> str:
        key = f"desk:{time.time_ns()}"
        self._vault.put(
            _NOTE_KIND, participant.pseudonym, key, {"code": "", "by": actor, "note": command.text}
        )
        self._audit(actor, participant, "note added from a desk")
        return f"{participant_code(participant.pseudonym)}: note kept, sealed with their records."

    def pause(self, participant: Participant, actor: str, *, paused: bool) -> str:
        code = participant_code(participant.pseudonym)
        if participant.paused == paused:
            return f"{code}: check-ins are already {'paused' if paused else 'running'}."
        self._registry.save(replace(participant, paused=paused))
        self._audit(actor, participant, "check-ins paused" if paused else "check-ins resumed")
        return f"{code}: check-ins {'paused' if paused else 'resumed'}."

    def schedule(self, participant: Participant, command: Command, actor: str) -> str:
        assert command.schedule is not None
        spec = command.schedule.spec()
        self._registry.save(replace(participant, schedule=spec))
        self._audit(actor, participant, f"schedule set to {spec}")
        return f"{participant_code(participant.pseudonym)}: check-ins now {spec}."

    def checkin(self, participant: Participant, actor: str) -> str:
        code = participant_code(participant.pseudonym)
        refusal = self._scheduler.start_now(participant)
        if refusal is not None:
            return f"{code}: no check-in started: {refusal}."
        self._audit(actor, participant, "check-in started on request")
        return f"{code}: a check-in starts now."

    async def assign(self, participant: Participant, command: Command, actor: str) -> str:
        code = participant_code(participant.pseudonym)
        if command.user not in self._config.matrix.mediators:
            return f"{command.user} is not a mediator in this deployment."
        self._registry.save(replace(participant, mediator=command.user))
        self._engine.assigned(participant.pseudonym, command.user)
        self._audit(actor, participant, "mediator assigned")
        room_id = self._desks.room_of(command.user)
        if room_id is not None and self._desks.usable(command.user):
            await self._sender.notice(
                room_id,
                f"{code} is now your participant (assigned by {actor}). Type !status {code}.",
                transaction_id(f"assigned {code} {command.user} {time.time()}", 0),
                self._desks.members_of(command.user),
            )
        return f"{code} is now {command.user}'s participant."

    def unenroll(self, participant: Participant, actor: str) -> str:
        code = participant_code(participant.pseudonym)
        if participant.left_at is not None:
            return f"{code} has already left the programme."
        now = time.time()
        self._registry.save(replace(participant, left_at=now, paused=True, schedule=None))
        self._audit(actor, participant, "left the programme")
        days = self._config.consent_terms.retention_days
        return (
            f"{code} has left the programme: no more check-ins, and their data is deleted "
            f"after {days} days (or sooner with samtal forget)."
        )

    async def enroll(self, command: Command, actor: str, roles: frozenset[Role]) -> str:
        """Enrol someone new, or someone who left, and open their chat. Someone in the
        programme already is never taken over this way (that is !assign, by a
        supervisor), and the refusal is the same as for an account that cannot be a
        participant at all, so it does not tell whether they are in the programme."""
        user = command.user
        existing = self._registry.find(user)
        active = existing is not None and existing.left_at is None
        if (
            user in self._config.staff
            or user == self._config.matrix.bot_user_id
            or (active and existing is not None and existing.mediator not in (None, actor))
        ):
            return f"{user} cannot be enrolled from your desk; a supervisor can help."
        if existing is not None and active:
            mediator = existing.mediator  # theirs already, or nobody's: kept as it is
        else:
            mediator = actor if Role.MEDIATOR in roles else None
        kept = existing.schedule if existing is not None else None
        schedule = command.schedule.spec() if command.schedule is not None else kept
        participant = self._registry.enroll(user, command.language, mediator, schedule)
        if participant.left_at is not None:
            participant = replace(participant, left_at=None, paused=False)
            self._registry.save(participant)
        self._engine.assigned(participant.pseudonym, mediator)
        self._accountability.record(
            "enrolment",
            self._accountability.staff(actor),
            participant.pseudonym,
            f"language {command.language} from a desk",
        )
        await self._opening.open(participant)
        code = participant_code(participant.pseudonym)
        return (
            f"{code} is enrolled ({command.language}"
            + (f", check-ins {schedule}" if schedule else ", no schedule yet")
            + "). samtal has invited them to a chat and asks for their consent once they join."
        )

    def _audit(self, actor: str, participant: Participant, change: str) -> None:
        self._accountability.record(
            "programme_change", self._accountability.staff(actor), participant.pseudonym, change
        )


def _in_messages(parts: list[str]) -> tuple[str, ...]:
    """Summaries joined into as few messages as fit the size limit of one event."""
    return tuple("\n\n".join(parts[i] for i in group) for group in group_by_size(parts))
