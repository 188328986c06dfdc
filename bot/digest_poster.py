"""Posts the daily digest of elevated risk to the staff room, once a day.

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
from bot.escalation.staff_room import StaffRoom
from bot.ids import ParticipantId, participant_code
from bot.matrix.sender import Sender
from bot.state.digest import DigestRun, DigestStore
from bot.state.participants import ParticipantRegistry


class DigestPoster:
    def __init__(
        self,
        store: DigestStore,
        registry: ParticipantRegistry,
        room: StaffRoom,
        sender: Sender,
        *,
        at: clock_time,
        zone: tzinfo,
    ) -> None:
        self._store = store
        self._registry = registry
        self._room = room
        self._sender = sender
        self._at = at
        self._zone = zone

    def body(self, day: str, up_to: float, heading: str = "Daily digest") -> str:
        lines = []
        for pseudonym, notes in self._store.pending(up_to).items():
            participant = self._registry.get(pseudonym)
            mediator = participant.mediator if participant else None
            lines.append(DigestLine(participant_code(ParticipantId(pseudonym)), mediator, notes))
        return digest_body(day, lines, heading=heading)

    def so_far(self) -> str:
        """What the next digest would say now (``!digest``); nothing is cleared."""
        now = time.time()
        day = datetime.fromtimestamp(now, self._zone).date().isoformat()
        return self.body(day, now, heading="Digest so far")

    async def post_if_due(self) -> None:
        if not self._room.has_readers():
            return  # it waits for the first mediator to join
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
        room_id = self._room.room_id or await self._room.ensure()
        await self._sender.notice(
            room_id,
            self.body(run.day, run.cutoff),
            f"samtal-digest-{run.day}",
            self._room.members(),
        )
        self._store.save_run(DigestRun(run.day, run.cutoff, sent=True))
        self._store.clear_up_to(run.cutoff)
        logs.event("digest_posted", day=run.day)
