"""The escalation engine: persist first, page at once, re-escalate on silence.

An escalation is written to the vault before anything is sent, and every
notice goes through the record's outbox with a transaction id derived from the
escalation code and the notice's sequence number. A crash at any point leaves
a record whose unsent notices are sent on the next tick, exactly once.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import Enum

import aiohttp

from bot import logs
from bot.config import EscalationConfig
from bot.core.desk_routing import route
from bot.core.model import Participant
from bot.core.own_words import without_matrix_ids
from bot.errors import SamtalError
from bot.escalation.batching import combined_body, group_by_size
from bot.escalation.desks import Desks
from bot.escalation.inert import inert_quote
from bot.escalation.staff_room import StaffRoom
from bot.escalation.store import EscalationStore, new_code
from bot.escalation.texts import desk_skipped_body, notice_body, team_line
from bot.ids import participant_code
from bot.transports.idempotency import transaction_id
from bot.transports.port import Outbox
from bot.transports.traffic import Traffic
from safety.escalation.policy import ASSIGNED, ON_CALL, SUPERVISOR
from safety.escalation.record import (
    RESOLVED,
    Escalation,
    Notice,
    absorbs,
    acknowledge,
    close_on_deletion,
    delivered_to,
    further_message,
    has_copy,
    is_due,
    notice_sent,
    open_escalation,
    reescalate,
    resolve,
    sending,
    sent_in,
)

TICK_SECONDS = 1.0
# The longest a page send may take before it is reported and tried again.
PAGE_SEND_SECONDS = 15.0
# After this many failed sends in a row a desk is routed around, and tried again
# after a while (a desk the bot has not synced yet fails too, for a moment).
FAILING_DESK_SENDS = 3
FAILING_DESK_RETRY_SECONDS = 30.0
# A further risky message within this time of the page joins the open case.
COALESCE_WINDOW_SECONDS = 6 * 3600.0
# The people paged hear of further messages at most this often.
FURTHER_NOTICE_GAP_SECONDS = 60.0


def _txn(person: str, chunk: list[Outgoing]) -> str:
    """The transaction id of one message to one desk: the same notices to the same
    desk always make the same id, so the homeserver shows a resend once."""
    codes = "|".join(f"{part.esc.code}:{part.notice.seq}" for part in chunk)
    return transaction_id(f"{codes}@{person}", 0)


class _DeskOutcome(Enum):
    SENT = "sent"
    REFUSED = "refused"  # some notice refused; the rest went out
    TIMED_OUT = "timed_out"
    AWAY = "away"  # the homeserver cannot be reached


class DeskMissing(SamtalError):
    """A paged person has no desk yet (it could not be created)."""


class DeletionNotAnnounced(SamtalError):
    """Staff could not be told that a participant's cases closed with their data."""


@dataclass(frozen=True)
class Outgoing:
    """A notice ready to go: its text, the people it names as paged, whose desks get it."""

    esc: Escalation
    notice: Notice
    body: str
    paged: tuple[str, ...]
    desks: tuple[str, ...]


# Notices that page (and so name who is paged); the rest tell those already paged.
_PAGING = ("page", "reescalated")


class EscalationEngine:
    def __init__(
        self,
        config: EscalationConfig,
        store: EscalationStore,
        desks: Desks,
        team_room: StaffRoom | None,
        sender: Outbox,
        traffic: Traffic,
        assigned_of: dict[str, str | None] | None = None,
        on_change: Callable[[Escalation, str, str], None] | None = None,
    ) -> None:
        self._config = config
        self._store = store
        self._desks = desks
        self._team = team_room
        self._sender = sender
        self._assigned: dict[str, str | None] = assigned_of or {}
        self._on_change = on_change or (lambda esc, change, by: None)
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._traffic = traffic
        # Desks already reported to the supervisors as holding someone unexpected,
        # and escalations already reported as having no desk to go to.
        self._skipped_reported: set[str] = set()
        self._undeliverable_reported: set[str] = set()
        self._skipped_told: set[str] = set()
        self._missing_reported: set[str] = set()
        self._unreachable_reported: set[str] = set()
        # Consecutive failed sends per desk and when the last one failed; past
        # FAILING_DESK_SENDS it is routed around for a while, then tried again.
        self._desk_failures: dict[str, tuple[int, float]] = {}
        self._nonce = secrets.token_hex(4)

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
        # Every caller's quote passes here: no page may carry a Matrix id, whoever raised it.
        quote = (
            inert_quote(without_matrix_ids(text))
            if (text is not None and self._config.quote_message)
            else None
        )
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
        # The level goes to the metrics alone: beside a code or a pseudonym in the log it
        # would say how dangerous that person was judged (docs/privacy.md).
        logs.event("escalation_created", code=esc.code, participant=participant.pseudonym)
        logs.tally("escalation_opened", level=level)
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

    def _reachable(self, person: str) -> bool:
        """A desk that can carry a page now: nobody unexpected in it, its owner has
        joined, and sends to it have not kept failing."""
        return (
            self._desks.usable(person) and self._desks.joined(person) and not self._failing(person)
        )

    def _failing(self, person: str) -> bool:
        """Failed FAILING_DESK_SENDS times in a row, the last less than
        FAILING_DESK_RETRY_SECONDS ago (then it is tried again)."""
        count, last = self._desk_failures.get(person, (0, 0.0))
        return count >= FAILING_DESK_SENDS and time.time() - last < FAILING_DESK_RETRY_SECONDS

    def _outgoing(self, esc: Escalation, notice: Notice) -> Outgoing:
        """Pages go to the desks of the people paged; everything after a page (a
        re-escalation, a further message, an acknowledgement) goes to everyone paged
        so far, so the earlier desks hear that the chain moved on."""
        paged = self.people(esc, notice.roles if notice.kind == "page" else esc.paged)
        chain = (self._config.on_call, self._config.supervisors)
        routing = route(paged, self._reachable, *chain)
        if not routing.desks:
            # Nobody who could read it now: it waits in the clean desks, to be read
            # when their owners come in (re-escalation goes on meanwhile).
            routing = route(paged, self._desks.usable, *chain)
        self._report_skipped(routing.skipped)
        named = routing.desks if notice.kind == "page" else self.people(esc, notice.roles)
        return Outgoing(esc, notice, notice_body(esc, notice, named), named, routing.desks)

    def _report_skipped(self, skipped: tuple[str, ...]) -> None:
        for person in skipped:
            if self._desks.room_of(person) is None:
                # No desk (not configured as staff, or its creation failed): someone
                # else stands in, and nobody is told of a stranger that is not there.
                if person not in self._missing_reported:
                    self._missing_reported.add(person)
                    logs.warning("paged_person_has_no_desk")
            elif self._desks.strangers_in(person):
                if person not in self._skipped_reported:
                    self._skipped_reported.add(person)
                    logs.warning("desk_has_strangers", strangers=self._desks.strangers_in(person))
            elif person not in self._unreachable_reported:
                self._unreachable_reported.add(person)
                logs.warning(
                    "desk_unreachable",
                    joined=self._desks.joined(person),
                    failures=self._desk_failures.get(person, (0, 0.0))[0],
                )

    async def _send_to_desk(self, person: str, chunk: list[Outgoing], txn: str) -> str:
        """One message to one desk holding ``chunk``; returns its event id."""
        room_id = self._desks.room_of(person)
        if room_id is None:
            raise DeskMissing("no desk for a paged person")
        body = combined_body([part.body for part in chunk])
        # nio retries a request for as long as the homeserver is away; a page must
        # not wait silently behind that. It is tried again on the next tick, with the
        # same transaction id, so a send that did get through is not shown twice.
        event_id = await asyncio.wait_for(
            self._sender.notice(
                room_id,
                body,
                txn,
                self._desks.members_of(person),
                mentions=(person,),
                page=True,
            ),
            PAGE_SEND_SECONDS,
        )
        for part in chunk:
            logs.event(
                "escalation_notice_sent",
                code=part.esc.code,
                notice=part.notice.kind,
                batched=len(chunk),
                desks=len(part.desks),
                ms_since_created=round((time.time() - part.esc.created_at) * 1000, 1),
                ms_keys=self._sender.last_timing_ms[0],
                ms_send=self._sender.last_timing_ms[1],
            )
        return event_id

    async def _send_all(self, pending: list[tuple[Escalation, Notice]]) -> bool:
        """Send every waiting notice to each desk that does not have it yet, one
        message per desk grouped within the size limit. Each desk's copy is recorded
        as it goes out, so a desk that failed is tried again alone and the others never
        get a copy twice; a notice is sent once every desk has it. A desk that keeps
        failing is routed around. Returns whether everything went out."""
        parts = [self._outgoing(esc, notice) for esc, notice in pending]
        by_desk: dict[str, list[Outgoing]] = {}
        waiting = False
        for part in parts:
            if not part.desks:
                waiting = True
                self._report_undeliverable(part.esc)
            for person in part.desks:
                if not has_copy(part.esc, part.notice.seq, person):
                    by_desk.setdefault(person, []).append(part)
        timeouts = 0
        for person, desk_parts in by_desk.items():
            outcome = await self._send_desk_groups(person, desk_parts)
            if outcome is _DeskOutcome.AWAY:
                return False  # the homeserver is away: nothing else can go either
            if outcome is _DeskOutcome.TIMED_OUT:
                timeouts += 1
                if timeouts >= 2:
                    return False  # two desks timed out: the homeserver, not a desk
        now = time.time()
        completed = []
        for part in parts:
            latest = self._store.find(part.esc.code) or part.esc
            if part.desks and all(has_copy(latest, part.notice.seq, p) for p in part.desks):
                self._store.save(notice_sent(latest, part.notice.seq, (), now))
                completed.append(part)
            else:
                waiting = True
        await self._tell_team(completed)
        await self._tell_supervisors_of_skipped()
        return not waiting

    async def _send_desk_groups(self, person: str, parts: list[Outgoing]) -> _DeskOutcome:
        """Send ``parts`` to one desk, recording each copy as it goes out. Copies
        that went out before without an answer go first, each in the same message
        as then; the rest are grouped by size. A group the desk refused is split
        into single notices, so one bad notice holds back no other."""
        outcome = _DeskOutcome.SENT
        for chunk, txn in self._desk_messages(person, parts):
            result = await self._send_copy(person, chunk, txn)
            if result is _DeskOutcome.REFUSED and len(chunk) > 1:
                for single in chunk:
                    result = await self._send_copy(person, [single], _txn(person, [single]))
                    if result in (_DeskOutcome.AWAY, _DeskOutcome.TIMED_OUT):
                        return result
                    if result is _DeskOutcome.REFUSED:
                        outcome = result
            elif result in (_DeskOutcome.AWAY, _DeskOutcome.TIMED_OUT):
                return result
            elif result is _DeskOutcome.REFUSED:
                outcome = result
        return outcome

    def _desk_messages(
        self, person: str, parts: list[Outgoing]
    ) -> list[tuple[list[Outgoing], str]]:
        """(chunk, transaction id) for each message to send to one desk. A copy that
        may have got through unheard keeps its message: grouped anew with notices
        that came since, it would get a new transaction id and be shown twice."""
        earlier: dict[str, list[Outgoing]] = {}
        fresh: list[Outgoing] = []
        for part in parts:
            latest = self._store.find(part.esc.code) or part.esc
            txn = sent_in(latest, part.notice.seq, person)
            if txn is None:
                fresh.append(part)
            else:
                earlier.setdefault(txn, []).append(part)
        messages = [(chunk, txn) for txn, chunk in earlier.items()]
        for group in group_by_size([part.body for part in fresh]):
            chunk = [fresh[g] for g in group]
            messages.append((chunk, _txn(person, chunk)))
        return messages

    async def _send_copy(self, person: str, chunk: list[Outgoing], txn: str) -> _DeskOutcome:
        """One message to one desk; its copy recorded on every escalation in it."""
        for part in chunk:
            # Written before sending: if this copy gets through unheard, the next
            # try (after a timeout, or a SIGKILL) sends the same message again.
            latest = self._store.find(part.esc.code) or part.esc
            marked = sending(latest, part.notice.seq, person, txn)
            if marked != latest:
                self._store.save(marked)
        try:
            event_id = await self._send_to_desk(person, chunk, txn)
        except (OSError, aiohttp.ClientError) as exc:
            logs.warning("escalation_send_failed", error=type(exc).__name__, waiting=len(chunk))
            return _DeskOutcome.AWAY
        except asyncio.TimeoutError:
            logs.warning("escalation_send_failed", error="TimeoutError", waiting=len(chunk))
            self._desk_failed(person)
            return _DeskOutcome.TIMED_OUT
        except Exception as exc:  # retried on the next tick
            logs.warning("escalation_send_failed", error=type(exc).__name__, waiting=len(chunk))
            self._desk_failed(person)
            return _DeskOutcome.REFUSED
        self._desk_failures.pop(person, None)
        place = (self._desks.room_of(person) or "", event_id)
        for part in chunk:
            # Re-read: an acknowledgement may have landed while the copy was in flight.
            latest = self._store.find(part.esc.code) or part.esc
            self._store.save(delivered_to(latest, part.notice.seq, person, place))
        return _DeskOutcome.SENT

    def _desk_failed(self, person: str) -> None:
        count, _ = self._desk_failures.get(person, (0, 0.0))
        self._desk_failures[person] = (count + 1, time.time())

    def _report_undeliverable(self, esc: Escalation) -> None:
        if esc.code not in self._undeliverable_reported:
            self._undeliverable_reported.add(esc.code)
            logs.warning("page_has_no_desk", code=esc.code)

    async def _tell_team(self, sent: list[Outgoing]) -> None:
        """The optional shared room hears that pages exist, never what they say. Best
        effort: the desks carry what matters, and a broken team room stops nothing."""
        if self._team is None or self._team.room_id is None:
            return
        lines = [
            line
            for part in sent
            if (line := team_line(part.esc, part.notice, self._assigned.get(part.esc.participant)))
        ]
        if not lines:
            return
        codes = "|".join(f"{part.esc.code}:{part.notice.seq}" for part in sent)
        try:
            await asyncio.wait_for(
                self._sender.notice(
                    self._team.room_id,
                    "\n".join(lines),
                    transaction_id(f"{codes}@team", 0),
                    self._team.members(),
                ),
                PAGE_SEND_SECONDS,
            )
        except Exception as exc:
            logs.warning("team_notice_failed", error=type(exc).__name__)

    async def _tell_supervisors_of_skipped(self) -> None:
        """Supervisors hear, once per desk and process, which desk holds strangers and is
        being routed around (who is in it, not what it would have carried)."""
        for person in sorted(self._skipped_reported - self._skipped_told):
            body = desk_skipped_body(person)
            told = False
            for supervisor in self._config.supervisors:
                room_id = self._desks.room_of(supervisor)
                if room_id is None or not self._reachable(supervisor):
                    continue
                try:
                    await asyncio.wait_for(
                        self._sender.notice(
                            room_id,
                            body,
                            transaction_id(f"skipped {person} {self._nonce}@{supervisor}", 0),
                            self._desks.members_of(supervisor),
                            page=True,
                        ),
                        PAGE_SEND_SECONDS,
                    )
                    told = True
                except Exception as exc:
                    logs.warning("desk_warning_failed", error=type(exc).__name__)
            if told:
                self._skipped_told.add(person)

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
        async with self._lock:
            # Under the lock, so no tick is halfway through sending a page; the
            # notices still unsent are dropped by close_on_deletion, so nothing
            # with their words goes out after this list is made.
            pages = self._pages_about_only(participant)
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
        redacted = 0
        for room_id, event_id in pages:
            try:
                await self._sender.redact(room_id, event_id, "participant data deleted")
                redacted += 1
            except Exception as exc:  # the shred goes ahead; the vault is what we control
                logs.warning("page_redaction_failed", error=type(exc).__name__)
        logs.event("pages_redacted_on_deletion", participant=participant, redacted=redacted)

    def _pages_about_only(self, participant: str) -> list[tuple[str, str]]:
        """Desk messages about ``participant`` and nobody else, as (room id, event id)
        (a batch that also pages others stays: their pages must not vanish)."""
        found: list[tuple[str, str]] = []
        for esc in self._store.all_of(participant):
            placed = {event for _, event in esc.notice_places}
            # Pages from before desks went to the shared room, now the team room.
            earlier = [
                (self._team.room_id, event)
                for event in esc.notice_events
                if event not in placed and self._team is not None and self._team.room_id
            ]
            for place in (*esc.notice_places, *earlier):
                about = self._store.by_notice_event(place[1])
                if place not in found and all(e.participant == participant for e in about):
                    found.append(place)
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

    def assigned(self, participant: str, mediator: str | None) -> None:
        """The participant's mediator changed: their next page goes to the new one."""
        self._assigned[participant] = mediator

    def find(self, code: str) -> Escalation | None:
        return self._store.find(code)

    def unresolved_for(self, participant: str) -> list[Escalation]:
        return self._store.unresolved_for(participant)

    def unresolved(self) -> list[Escalation]:
        """Every case not yet resolved, acknowledged ones included (each decrypted)."""
        return [esc for esc in self._store.all() if esc.state != RESOLVED]

    def reached(self, esc: Escalation, person: str) -> bool:
        """Whether ``esc`` was paged to ``person``: sent to their desk, or their step
        of the chain was paged."""
        desk = self._desks.room_of(person)
        if desk is not None and any(room == desk for room, _ in esc.notice_places):
            return True
        return person in self.people(esc, esc.paged)

    def notice_escalations(self, event_id: str) -> list[Escalation]:
        """The escalations a desk message (a page or a batch of them) is about."""
        return self._store.by_notice_event(event_id)
