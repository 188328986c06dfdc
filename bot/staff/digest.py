"""Posts the daily digest of elevated risk to each staff member's desk, once a day.

Each desk gets the lines it is responsible for: a mediator their own
participants, on-call those without a mediator, a supervisor everyone.

The cut-off is saved before the digest is sent and the transaction id is
derived from the day, so a crash in between neither loses notes nor posts the
digest twice.
"""

from __future__ import annotations

import time
from datetime import datetime, tzinfo
from datetime import time as clock_time

from bot import logs
from bot.core.digest import DigestLine, digest_body, digest_day_due
from bot.escalation.desks import Desks
from bot.ids import ParticipantId, participant_code
from bot.state.digest import DigestRun, DigestStore
from bot.state.participants import ParticipantRegistry
from bot.transports.idempotency import transaction_id
from bot.transports.port import Outbox


class DigestPoster:
    def __init__(
        self,
        store: DigestStore,
        registry: ParticipantRegistry,
        desks: Desks,
        sender: Outbox,
        *,
        on_call: tuple[str, ...],
        supervisors: tuple[str, ...],
        at: clock_time,
        zone: tzinfo,
    ) -> None:
        self._store = store
        self._registry = registry
        self._desks = desks
        self._on_call = on_call
        self._supervisors = supervisors
        self._sender = sender
        self._at = at
        self._zone = zone

    def _responsible(self, person: str, mediator: str | None) -> bool:
        if person in self._supervisors or person == mediator:
            return True
        return mediator is None and person in self._on_call

    def body(self, day: str, up_to: float, reader: str, heading: str = "Daily digest") -> str:
        lines = []
        for pseudonym, notes in self._store.pending(up_to).items():
            participant = self._registry.get(pseudonym)
            mediator = participant.mediator if participant else None
            if self._responsible(reader, mediator):
                code = participant_code(ParticipantId(pseudonym))
                lines.append(DigestLine(code, mediator, notes))
        return digest_body(day, lines, heading=heading)

    def so_far(self, reader: str) -> str:
        """What ``reader``'s next digest would say now (``!digest``); nothing is cleared."""
        now = time.time()
        day = datetime.fromtimestamp(now, self._zone).date().isoformat()
        return self.body(day, now, reader, heading="Digest so far")

    async def post_if_due(self) -> None:
        readers = [person for person in sorted(self._desks.staff) if self._desks.joined(person)]
        if not readers:
            return  # it waits for the first staff member to join their desk
        run = self._store.last_run()
        if run is not None and run.sent:
            # Repeatable: a crash after sending but before clearing must not list
            # the same notes in the next digest again.
            self._store.clear_up_to(run.cutoff)
        if run is None or run.sent:
            day = digest_day_due(time.time(), self._at, self._zone, run.day if run else None)
            if day is None:
                return
            run = DigestRun(day, time.time(), sent=False)
            self._store.save_run(run)
        for person in readers:
            room_id = self._desks.room_of(person)
            if room_id is None or not self._desks.usable(person):
                continue  # a desk with strangers in it gets no participant codes
            await self._sender.notice(
                room_id,
                self.body(run.day, run.cutoff, person),
                transaction_id(f"digest {run.day} {person}", 0),
                self._desks.members_of(person),
            )
        self._store.save_run(DigestRun(run.day, run.cutoff, sent=True))
        self._store.clear_up_to(run.cutoff)
        logs.event("digest_posted", day=run.day, desks=len(readers))
