"""Check-in results for the mediator: answers kept sealed, a summary in their desk.

A check-in exists so that the participant's mediator knows how they are doing.
When one finishes, or is left part-way, a summary is queued among the
participant's own sealed records (a shred takes the queue with it), then posted
to the assigned mediator's desk with a transaction id derived from the
check-in, so a crash between the two posts it after the restart, once. Each
summary shown is recorded in the audit trail before it is sent.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Mapping
from datetime import tzinfo

from bot import logs
from bot.core.checkin_summary import TREND_CHECKINS, CheckinRecord, summary_text
from bot.core.model import Participant
from bot.escalation.desks import Desks
from bot.ids import ParticipantId, participant_code
from bot.participants.accountability import Accountability
from bot.staff.shown_content import ShownContent
from bot.state.checkin_answers import KEEP_CHECKINS, CheckinAnswers
from bot.state.participants import ParticipantRegistry
from bot.transports.idempotency import transaction_id
from bot.transports.port import Outbox
from safety.vault import Vault

_QUEUE = "checkin_summary_due"
# The longest one summary's send may take before the next round tries again.
SEND_SECONDS = 15.0


class CheckinResults:
    def __init__(
        self,
        vault: Vault,
        answers: CheckinAnswers,
        registry: ParticipantRegistry,
        desks: Desks,
        sender: Outbox,
        accountability: Accountability,
        zone: tzinfo,
        shown: ShownContent,
    ) -> None:
        self._vault = vault
        self._answers = answers
        self._registry = registry
        self._desks = desks
        self._sender = sender
        self._accountability = accountability
        self._zone = zone
        self._shown = shown
        self._held_back: set[str] = set()  # check-in ids already reported as waiting

    def take(
        self,
        participant: Participant,
        effects: Iterable[Mapping[str, object]],
        turn: str,
        level: str,
    ) -> None:
        """Keep a turn's answers; queue the summary of each check-in it closed. Never
        raises: keeping answers must not fail the turn (and so replay its page)."""
        try:
            closed = self._answers.apply_effects(
                participant.pseudonym, effects, time.time(), turn=turn, risk_level=level
            )
            self._queue(participant.pseudonym, closed)
        except Exception as exc:
            logs.warning("checkin_answers_failed", error=type(exc).__name__)

    def abandoned(self, participant: Participant) -> None:
        """A check-in counted as missed: what was answered of it goes to the mediator."""
        try:
            closed = self._answers.finish(participant.pseudonym, time.time(), completed=False)
            self._queue(participant.pseudonym, [] if closed is None else [closed])
        except Exception as exc:
            logs.warning("checkin_answers_failed", error=type(exc).__name__)

    def _queue(self, pseudonym: str, closed: list[CheckinRecord]) -> None:
        for record in closed:
            self._vault.put(_QUEUE, pseudonym, record.id, {"id": record.id})
            logs.event("checkin_summary_queued", participant=pseudonym, completed=record.completed)

    async def flush(self) -> None:
        """Post every queued summary whose mediator's desk can take it; one that fails
        waits for the next round without holding up the others."""
        for pseudonym, due in list(self._vault.items(_QUEUE)):
            try:
                await asyncio.wait_for(self._post(pseudonym, due), SEND_SECONDS)
            except Exception as exc:
                logs.warning("checkin_summary_failed", error=type(exc).__name__)

    async def _post(self, pseudonym: str, due: dict[str, object]) -> None:
        checkin_id = str(due["id"])
        participant = self._registry.get(pseudonym)
        mediator = participant.mediator if participant else None
        history = self._answers.recent(pseudonym, KEEP_CHECKINS)
        record = next((r for r in history if r.id == checkin_id), None)
        if participant is None or mediator is None or record is None:
            # Nobody is assigned to read it; the answers stay sealed (a supervisor
            # may read them with a reason).
            self._vault.delete(_QUEUE, pseudonym, checkin_id)
            logs.event("checkin_summary_kept_sealed", participant=pseudonym)
            return
        room_id = self._desks.room_of(mediator)
        if room_id is None or not (self._desks.usable(mediator) and self._desks.joined(mediator)):
            if checkin_id not in self._held_back:
                self._held_back.add(checkin_id)
                logs.warning("checkin_summary_waits_for_desk", participant=pseudonym)
            return
        code = participant_code(ParticipantId(pseudonym))
        body = summary_text(code, record, history[:TREND_CHECKINS], zone=self._zone)
        if not due.get("audited"):
            # Recorded once, before the first attempt: retries show the same summary.
            self._accountability.record(
                "content_access",
                self._accountability.staff(mediator),
                pseudonym,
                f"check-in summary {checkin_id} to the assigned mediator",
                required=True,
            )
            self._vault.put(_QUEUE, pseudonym, checkin_id, {**due, "audited": True})
        event_id = await self._sender.notice(
            room_id,
            body,
            transaction_id(f"checkin summary {checkin_id} {mediator}", 0),
            self._desks.members_of(mediator),
        )
        self._shown.shown(pseudonym, room_id, event_id)
        self._vault.delete(_QUEUE, pseudonym, checkin_id)
        logs.event("checkin_summary_posted", participant=pseudonym)
