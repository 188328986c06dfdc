"""The escalation engine: persist first, page at once, re-escalate on silence.

An escalation is written to the vault before anything is sent, and every
notice goes through the record's outbox with a transaction id derived from the
escalation code and the notice's sequence number. A crash at any point leaves
a record whose unsent notices are sent on the next tick, exactly once.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import replace

import aiohttp

from bot import logs
from bot.config import EscalationConfig
from bot.core.model import Participant
from bot.errors import SamtalError
from bot.escalation.batching import combined_body, group_by_size
from bot.escalation.inert import inert_quote
from bot.escalation.staff_room import StaffRoom
from bot.escalation.store import EscalationStore, new_code
from bot.escalation.texts import notice_body
from bot.ids import participant_code
from bot.matrix.sender import Sender, transaction_id
from bot.matrix.traffic import Traffic
from safety.escalation.policy import ASSIGNED, ON_CALL, SUPERVISOR
from safety.escalation.record import (
    Escalation,
    Notice,
    absorbs,
    acknowledge,
    close_on_deletion,
    further_message,
    is_due,
    notice_sent,
    open_escalation,
    reescalate,
    resolve,
)

TICK_SECONDS = 1.0
# The longest a page send may take before it is reported and tried again.
PAGE_SEND_SECONDS = 15.0
# A further risky message within this time of the page joins the open case.
COALESCE_WINDOW_SECONDS = 6 * 3600.0
# The people paged hear of further messages at most this often.
FURTHER_NOTICE_GAP_SECONDS = 60.0


class DeletionNotAnnounced(SamtalError):
    """Staff could not be told that a participant's cases closed with their data."""


# A notice ready to go: its escalation, the notice, its text and the people it pages.
Outgoing = tuple[Escalation, Notice, str, tuple[str, ...]]


class EscalationEngine:
    def __init__(
        self,
        config: EscalationConfig,
        store: EscalationStore,
        room: StaffRoom,
        sender: Sender,
        traffic: Traffic,
        assigned_of: dict[str, str | None] | None = None,
        on_change: Callable[[Escalation, str, str], None] | None = None,
    ) -> None:
        self._config = config
        self._store = store
        self._room = room
        self._sender = sender
        self._assigned: dict[str, str | None] = assigned_of or {}
        self._on_change = on_change or (lambda esc, change, by: None)
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._traffic = traffic

    def raise_for(
        self,
        participant: Participant,
        level: str,
        signals: tuple[str, ...],
        text: str | None,
        event_id: str | None = None,
    ) -> Escalation:
        """Persist a new escalation now; the dispatcher pages within the same tick.

        A further risky message from someone whose case is still open goes into that
        case (the people paged hear of it) instead of opening one more: a flood from
        one person must not open dozens of escalations and bury everyone else's."""
        if event_id is not None:
            for earlier in self._store.all_of(participant.pseudonym):
                if event_id in earlier.events:
                    return earlier  # the same message again, after a failed intake
        quote = inert_quote(text) if (text is not None and self._config.quote_message) else None
        now = time.time()
        for open_case in self._store.unresolved_for(participant.pseudonym):
            if absorbs(open_case, level, now, COALESCE_WINDOW_SECONDS):
                folded = further_message(
                    open_case, quote, now, FURTHER_NOTICE_GAP_SECONDS, event_id
                )
                self._store.save(folded)
                if folded.unsent():
                    self._traffic.page_waiting()
                    self._wake.set()
                logs.event(
                    "escalation_coalesced",
                    code=folded.code,
                    risk=level,
                    further=folded.further,
                    participant=participant.pseudonym,
                )
                return folded
        esc = open_escalation(
            code=new_code(),
            participant=participant.pseudonym,
            participant_code=participant_code(participant.pseudonym),
            level=level,
            signals=signals,
            quote=quote,
            now=now,
            policy=self._config.policy,
        )
        if event_id is not None:
            esc = replace(esc, events=(event_id,))
        self._assigned[participant.pseudonym] = participant.mediator
        self._store.save(esc)
        self._traffic.page_waiting()
        self._on_change(esc, "created", "system")
        logs.event(
            "escalation_created", code=esc.code, risk=level, participant=participant.pseudonym
        )
        self._wake.set()
        return esc

    def people(self, esc: Escalation, roles: tuple[str, ...]) -> tuple[str, ...]:
        found: list[str] = []
        for role in roles:
            if role == ASSIGNED:
                assigned = self._assigned.get(esc.participant)
                found += [assigned] if assigned else list(self._config.on_call)
            elif role == ON_CALL:
                found += self._config.on_call
            elif role == SUPERVISOR:
                found += self._config.supervisors
        return tuple(dict.fromkeys(found))

    async def _send_batch(self, pending: list[Outgoing]) -> None:
        """Send waiting notices as one message; a ✅ on it acknowledges each page it holds."""
        room_id = self._room.room_id or await self._room.ensure()
        body = combined_body([part for _, _, part, _ in pending])
        txn = transaction_id(
            "|".join(f"{esc.code}:{notice.seq}" for esc, notice, _, _ in pending), 0
        )
        mentions = tuple(dict.fromkeys(p for _, _, _, paged in pending for p in paged))
        # nio retries a request for as long as the homeserver is away; a page must
        # not wait silently behind that. It is tried again on the next tick, with the
        # same transaction id, so a send that did get through is not shown twice.
        event_id = await asyncio.wait_for(
            self._sender.notice(
                room_id, body, txn, self._room.members(), mentions=mentions, page=True
            ),
            PAGE_SEND_SECONDS,
        )
        now = time.time()
        for esc, notice, _, _ in pending:
            # Re-read: an acknowledgement may have landed while the notice was in flight.
            latest = self._store.find(esc.code) or esc
            self._store.save(notice_sent(latest, notice.seq, event_id, now))
            logs.event(
                "escalation_notice_sent",
                code=esc.code,
                notice=notice.kind,
                batched=len(pending),
                ms_since_created=round((now - esc.created_at) * 1000, 1),
                ms_keys=self._sender.last_timing_ms[0],
                ms_send=self._sender.last_timing_ms[1],
            )

    async def _send_all(self, pending: list[tuple[Escalation, Notice]]) -> bool:
        """Send every waiting notice, grouped within the size limit. A group the
        homeserver refused is split into single notices at once, so one bad notice
        holds back no other; an unreachable homeserver ends the tick. Returns whether
        everything went out (what did not is retried on the next tick)."""
        parts: list[Outgoing] = []
        for esc, notice in pending:
            paged = self.people(esc, notice.roles)
            parts.append((esc, notice, notice_body(esc, notice, paged), paged))
        all_sent = True
        for group in group_by_size([part for _, _, part, _ in parts]):
            chunk = [parts[i] for i in group]
            try:
                await self._send_batch(chunk)
                continue
            except Exception as exc:
                logs.warning("escalation_send_failed", error=type(exc).__name__, waiting=len(chunk))
                if isinstance(exc, (asyncio.TimeoutError, OSError, aiohttp.ClientError)):
                    return False  # the homeserver is away: nothing else can go either
            if len(chunk) == 1:
                all_sent = False
                continue
            for single in chunk:
                try:
                    await self._send_batch([single])
                except Exception as exc:  # retried on the next tick
                    all_sent = False
                    logs.warning("escalation_send_failed", error=type(exc).__name__, waiting=1)
        return all_sent

    async def tick(self) -> None:
        """Re-escalate what is overdue, then send every notice not yet sent."""
        async with self._lock:
            now = time.time()
            pending: list[tuple[Escalation, Notice]] = []
            for esc in self._store.active():
                if is_due(esc, now):
                    esc = reescalate(esc, now, self._config.policy)
                    self._store.save(esc)
                    self._on_change(esc, "reescalated", "system")
                    logs.event("escalation_reescalated", code=esc.code)
                pending += [(esc, notice) for notice in esc.unsent()]
            if await self._send_all(pending) and not self._wake.is_set():
                self._traffic.pages_sent()

    async def run(self) -> None:
        while True:
            # Cleared before the tick, so a page raised during it wakes the next one.
            self._wake.clear()
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the engine must outlive any one bad tick
                logs.warning("escalation_tick_failed", error=type(exc).__name__)
            try:
                await asyncio.wait_for(self._wake.wait(), TICK_SECONDS)
            except asyncio.TimeoutError:
                pass

    async def close_for_deletion(self, participant: str) -> None:
        """Before a participant's data is shredded: close their open cases and tell
        staff now (the records go with the shred, so nothing could be sent later),
        then redact the pages that were about them alone."""
        pages = self._pages_about_only(participant)
        async with self._lock:
            now = time.time()
            closing = []
            for esc in self._store.unresolved_for(participant):
                closed = close_on_deletion(esc, now)
                self._store.save(closed)
                self._on_change(closed, "closed_on_deletion", "system")
                closing += [(closed, notice) for notice in closed.unsent()]
            if not await self._send_all(closing):
                # Staff must hear before the records go: the deletion is tried again.
                raise DeletionNotAnnounced("the closing notices could not be sent")
        room_id = self._room.room_id
        redacted = 0
        for event_id in pages:
            if room_id is None:
                break
            try:
                await self._sender.redact(room_id, event_id, "participant data deleted")
                redacted += 1
            except Exception as exc:  # the shred goes ahead; the vault is what we control
                logs.warning("page_redaction_failed", error=type(exc).__name__)
        logs.event("pages_redacted_on_deletion", participant=participant, redacted=redacted)

    def _pages_about_only(self, participant: str) -> list[str]:
        """Staff-room messages about ``participant`` and nobody else (a batch that
        also pages others stays: their pages must not vanish)."""
        found: list[str] = []
        for esc in self._store.all_of(participant):
            for event_id in esc.notice_events:
                about = self._store.by_notice_event(event_id)
                if event_id not in found and all(e.participant == participant for e in about):
                    found.append(event_id)
        return found

    def change(self, code: str, by: str, *, close: bool) -> Escalation | None:
        esc = self._store.find(code)
        if esc is None:
            return None
        updated = resolve(esc, by, time.time()) if close else acknowledge(esc, by, time.time())
        if updated != esc:
            self._store.save(updated)
            self._on_change(updated, "resolved" if close else "acknowledged", by)
            logs.event("escalation_resolved" if close else "escalation_acknowledged", code=esc.code)
            self._wake.set()
        return updated

    def add_note(self, esc: Escalation, by: str, note: str) -> None:
        """A mediator's note on an escalation, sealed with the participant's records."""
        self._store.add_note(esc, by, note)

    def open_count(self) -> int:
        return self._store.open_count()

    def any_open(self, participant: str) -> bool:
        return bool(self._store.open_for(participant))

    def has_open(self, participant: str, level: str) -> bool:
        return any(esc.level == level for esc in self._store.open_for(participant))

    def acknowledge_notice(self, event_id: str, by: str) -> list[Escalation]:
        """A reaction on a notice acknowledges every escalation paged in it."""
        changed = (
            self.change(esc.code, by, close=False) for esc in self._store.by_notice_event(event_id)
        )
        return [esc for esc in changed if esc is not None]
