"""The gateway process: wires the messengers (Matrix, and Telegram where it is on) to
the turn pipeline, escalation, check-ins and the staff desks."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import secrets
import time
from collections.abc import Awaitable
from pathlib import Path
from typing import TYPE_CHECKING

from aiohttp import web

from bot import logs
from bot.checkins.results import CheckinResults
from bot.checkins.scheduler import CheckinScheduler
from bot.config import GatewayConfig
from bot.console import service as console_service
from bot.core.downtime import downtime_notice
from bot.core.effects import EffectValidator
from bot.core.kinds import Kind
from bot.core.model import Inbound, Lost, Participant
from bot.core.retention import due_for_shredding
from bot.core.screen import SafetyScreen
from bot.core.texts import FALLBACK_LANGUAGE, text
from bot.core.unscreened import unscreened_notice
from bot.errors import CredentialsRefused, SamtalError
from bot.escalation.desks import Desks
from bot.escalation.engine import EscalationEngine
from bot.escalation.staff_room import StaffRoom
from bot.escalation.store import EscalationStore
from bot.gateway.housekeeping import every_second
from bot.ids import participant_code
from bot.monitoring.gateway_metrics import GatewayMetrics, Sources
from bot.monitoring.health import Health, judge
from bot.monitoring.loopback_http import serve
from bot.monitoring.rasa_check import RasaCheck
from bot.monitoring.server import create_app
from bot.participants.accountability import Accountability
from bot.participants.deletion import Deletion, ForgetRequests
from bot.participants.link_enrolment import LinkEnrolment
from bot.participants.opening import ChatOpening
from bot.rasa.client import RasaClient, RasaControl
from bot.staff.access import StaffAccess
from bot.staff.desk import StaffDesk
from bot.staff.device_reports import device_report_text
from bot.staff.digest import DigestPoster
from bot.staff.handoff import Handoff
from bot.staff.programme import Programme
from bot.staff.shown_content import ShownContent
from bot.state.checkin_answers import CheckinAnswers
from bot.state.checkins import CheckinStore
from bot.state.digest import DigestStore
from bot.state.gateway_state import GatewayState
from bot.state.participants import ParticipantRegistry
from bot.state.turns import TurnLedger
from bot.transports.idempotency import transaction_id
from bot.transports.matrix.connection import MatrixConnection
from bot.transports.port import Transport
from bot.transports.router import TransportRouter
from bot.transports.traffic import Traffic
from bot.turns.handler import TurnHandler
from bot.turns.risk_memory import RiskMemory
from bot.turns.workers import RoomWorkers
from bot.vault_access import open_configured_vault
from safety.audit import head_to_json
from safety.escalation.record import Escalation

if TYPE_CHECKING:
    from bot.transports.telegram.connection import TelegramConnection

MAX_TURN_ATTEMPTS = 3
RETENTION_EVERY_TICKS = 10
AUDIT_HEAD_EVERY_TICKS = 3600
# The longest pages wait for the first sync after a start.
FIRST_SYNC_WAIT_SECONDS = 10.0
# How often the gateway notes that it is running (for the downtime notice).
ALIVE_EVERY_TICKS = 5
PROJECT = Path(__file__).resolve().parents[2]


class BatchIncomplete(SamtalError):
    """Some turn of the batch failed; the batch must be replayed."""


class Gateway:
    def __init__(self, config: GatewayConfig, schema_path: Path, screen: SafetyScreen) -> None:
        self.config = config
        self.vault = open_configured_vault(config, create_key=True)
        self.state = GatewayState(self.vault)
        self.registry = ParticipantRegistry(self.vault)
        self.rasa = RasaClient(config.rasa.url, config.rasa.token, config.rasa.timeout_seconds)
        self.matrix = MatrixConnection(config, self.vault, self.registry, self.state)
        self.telegram: TelegramConnection | None = None
        if config.telegram is not None:
            # Imported only where Telegram is on: a Matrix-only gateway loads no aiogram.
            from bot.transports.telegram.connection import TelegramConnection

            self.telegram = TelegramConnection(config.telegram, self.vault, self._owner_of)
        # Participants may be on any configured messenger; staff are on Matrix.
        messengers: list[Transport] = [self.matrix.transport]
        if self.telegram is not None:
            messengers.append(self.telegram.transport)
        self._messengers = tuple(messengers)
        self.transports = TransportRouter(messengers)
        self.traffic = Traffic()
        self.invites = self.matrix.invites(self.transports, self.traffic.pages_first)
        self.staff_room = StaffRoom(self.matrix.transport, self.vault, config.staff)
        self.desks = Desks(self.matrix.transport, self.vault, config.staff)
        digest = DigestStore(self.vault)
        self.digest = DigestPoster(
            digest,
            self.registry,
            self.desks,
            self.transports,
            on_call=config.escalation.on_call,
            supervisors=config.escalation.supervisors,
            at=config.digest_at,
            zone=config.dialogue.zone,
        )
        self.accountability = Accountability(
            self.vault, schema_path.parent / "consent", config.dialogue.zone, config.consent_terms
        )
        self.deletion = Deletion(self.transports, self.vault, self.accountability)
        self.escalations = EscalationEngine(
            config.escalation,
            EscalationStore(self.vault),
            self.desks,
            self.staff_room if config.escalation.team_room else None,
            self.transports,
            self.traffic,
            {p.pseudonym: p.mediator for p in self.registry.all()},
            self._audit_escalation,
        )
        self.shown = ShownContent(self.vault, self.transports)
        handoff = Handoff(
            self.transports,
            self.registry,
            self.transports,
            RasaControl(self.rasa),
            config.matrix.bot_user_id,
            self.accountability,
            self.desks,
            self.shown,
        )
        self.ledger = TurnLedger(self.vault)
        checkins = CheckinStore(self.vault)
        memory = RiskMemory(checkins, digest)
        answers = CheckinAnswers(self.vault)
        self.results = CheckinResults(
            self.vault,
            answers,
            self.registry,
            self.desks,
            self.transports,
            self.accountability,
            config.dialogue.zone,
            self.shown,
        )
        validator = EffectValidator(schema_path)
        self.turns = TurnHandler(
            config,
            self.registry,
            self.ledger,
            self.transports,
            self.rasa,
            validator,
            screen,
            self.escalations,
            self.accountability,
            self.deletion,
            self.traffic,
            memory,
            self.results,
        )
        self._failures: dict[str, int] = {}
        # For the notice after downtime: when this process came up, and how many
        # participants' messages from before then it handled in its first sync.
        self._started_at = time.time()
        self._late_messages: set[str] = set()  # event ids: a replayed batch counts once
        self._deletion_waiting: set[str] = set()
        self._published_head = -1
        self._process_nonce = secrets.token_hex(4)
        self.workers = RoomWorkers(self.turns.complete)
        self.turns.backlog_of = self.workers.backlog
        self.turns.relay = handoff.relay
        self.turns.unreachable = self._tell_unreachable
        self._told_unreachable: set[str] = set()
        self.checkins = CheckinScheduler(
            config,
            self.registry,
            checkins,
            self.rasa,
            validator,
            self.transports,
            self.traffic,
            self.escalations,
            self.workers,
            memory,
            self.results,
        )
        self.checkins.unreachable = self._tell_unreachable
        self.opening = ChatOpening(
            self.transports,
            config,
            self.vault,
            self.registry,
            checkins,
            self.rasa,
            validator,
            self.transports,
            self.workers,
        )
        self.links = LinkEnrolment(
            self.registry,
            self.opening,
            self.transports,
            self.accountability,
            config.dialogue.default_language,
        )
        access = StaffAccess(config, self.registry, self.escalations)
        programme = Programme(
            config,
            self.vault,
            self.registry,
            checkins,
            answers,
            self.escalations,
            self.checkins,
            self.opening,
            self.desks,
            self.transports,
            self.accountability,
        )
        self.staff = StaffDesk(
            self.staff_room,
            self.desks,
            self.escalations,
            handoff,
            self.transports,
            self.digest,
            self.matrix.trust,
            access,
            programme,
            config.dialogue.languages,
            self.shown,
        )
        self.sync = self.matrix.sync_loop(self.handle_batch)
        self.rasa_check = RasaCheck(self.rasa)
        self.metrics = GatewayMetrics(
            Sources(
                started_at=self._started_at,
                last_sync_age=self.last_sync_age,
                rooms=lambda: self.matrix.room_count,
                turns_pending=lambda: self.workers.turns_pending,
                escalations_open=self.escalations.open_count,
                rasa_up=self.rasa_check.last_known,
            )
        )

    def _owner_of(self, conversation: str) -> str | None:
        """The participant whose chat this is (a Telegram chat is named after them)."""
        participant = self.registry.find(conversation)
        return None if participant is None else participant.pseudonym

    async def _on_telegram_message(self, inbound: Inbound) -> None:
        """A Telegram message goes the way a Matrix one does; one that could not be
        taken in raises, so Telegram delivers its batch again."""
        if not await self._take_in(inbound):
            raise BatchIncomplete("a turn could not be taken in and will be retried")
        # Every escalation raised by now goes out with one page.
        await asyncio.sleep(0)

    async def _tell_unreachable(self, participant: Participant) -> None:
        """Content-free, once per process: the participant's messenger refuses to deliver
        (they blocked the bot). Their mediator, or on-call, and supervisors hear."""
        if participant.pseudonym in self._told_unreachable:
            return
        self._told_unreachable.add(participant.pseudonym)
        code = participant_code(participant.pseudonym)
        await self.desk_notice(
            self._responsible_for(participant),
            f"{code} cannot be reached: their messenger refuses samtal's messages (they may "
            "have blocked it). What they write is still screened; contact them another way.",
            f"samtal-unreachable-{participant.pseudonym}-{int(time.time())}",
        )

    async def _run_telegram(self) -> None:
        """Receive from Telegram for as long as the gateway runs. Anything but a
        refused token is tried again; a stop is told to staff, never silent."""
        if self.telegram is None:
            return
        # Desks should be known before a page raised on Telegram goes out; a Matrix
        # outage must not hold Telegram's screening back (pages wait in the vault).
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self.sync.first_sync_done.wait(), FIRST_SYNC_WAIT_SECONDS)
        restarts = 0
        while True:
            try:
                await self.telegram.run(
                    self._on_telegram_message, self.links.accept, self.links.refuse
                )
            except asyncio.CancelledError:
                raise
            except CredentialsRefused:
                logs.warning("telegram_stopped", error="TokenRefused")
                await self._guard(
                    "telegram_stop_notice",
                    self.team_notice(
                        "⚠️ Telegram refused samtal's bot token: participants on Telegram "
                        "are not being heard. Fix the token and restart the gateway.",
                        f"samtal-telegram-stopped-{int(time.time())}",
                    ),
                )
                return
            except Exception as exc:
                logs.warning("telegram_restarted", error=type(exc).__name__, restarts=restarts)
            restarts += 1
            await asyncio.sleep(min(30.0, float(restarts)))

    def last_sync_age(self) -> float | None:
        synced = self.sync.last_synced_at
        return None if synced is None else time.monotonic() - synced

    async def health(self) -> Health:
        rasa_up = await self.rasa_check.up()
        return judge(self.last_sync_age(), self.config.monitoring.sync_stale_seconds, rasa_up)

    async def _start_monitoring(self) -> web.AppRunner | None:
        """Serve /healthz and /metrics; a port already taken is logged, never fatal:
        participants are answered whether or not the supervisor can look."""
        settings = self.config.monitoring
        if not settings.enabled:
            return None
        app = create_app(self.health, self.metrics.render, loopback_only=settings.loopback)
        try:
            runner, port = await serve(app, settings.host, settings.port)
        except OSError as exc:
            logs.warning("monitoring_unavailable", error=type(exc).__name__, port=settings.port)
            return None
        logs.event("monitoring_serving", port=port)
        return runner

    async def _start_console(self) -> web.AppRunner | None:
        """Serve the supervisor console on loopback; like monitoring, a port already
        taken is logged, never fatal."""
        if not self.config.console.enabled:
            return None
        console = console_service.build_console(
            self.config, self.vault, PROJECT, self.accountability, self._console_notice
        )
        try:
            runner, port = await console_service.start(console, self.config.console.port)
        except OSError as exc:
            logs.warning("console_unavailable", error=type(exc).__name__)
            return None
        logs.event("console_serving", port=port)
        return runner

    async def _console_notice(self, person: str, text: str) -> None:
        # A fresh transaction id each time: two codes in a row are two messages.
        await self.desk_notice((person,), text, f"samtal-console-{secrets.token_hex(8)}")

    async def handle_batch(self) -> None:
        delivery = await self.matrix.collect()
        invites, messages, reactions = delivery.invites, delivery.messages, delivery.reactions
        await self._guard("room_check", self.invites.check_joined_rooms())
        await self._guard("device_report", self.report_new_devices())
        for invite in invites:
            await self._guard("invite", self.invites.handle(invite))
        for lost in delivery.lost:
            self._ask_to_resend(lost)
        for reaction in reactions:
            if not self.staff.is_staff_room(reaction.room_id):
                # A participant's reaction to the bot's message says nothing the
                # dialogue could answer; it is not a turn.
                logs.event("reaction_ignored")
                continue
            await self._guard(
                "staff_reaction",
                self.staff.on_reaction(
                    reaction.room_id,
                    reaction.sender,
                    reaction.reacts_to,
                    reaction.key,
                    reaction.device_key,
                ),
            )
        complete = True
        for inbound in sorted(messages, key=lambda item: item.timestamp_ms):
            if not self.sync.first_sync_done.is_set() and not self.staff.is_staff_room(
                inbound.room_id
            ):
                if inbound.timestamp_ms < self._started_at * 1000:
                    self._late_messages.add(inbound.event_id)
            if self.staff.is_staff_room(inbound.room_id):
                # An edited command is not run twice; a photo, or a caption under
                # one, is no command.
                if inbound.replaces is None and inbound.kind is Kind.TEXT and not inbound.caption:
                    await self._guard("staff_command", self.staff.on_message(inbound))
            elif not await self._take_in(inbound):
                complete = False
        # Every escalation of the batch is raised by now: one page carries them all.
        await asyncio.sleep(0)
        if not complete:
            # The sync position stays put, so the batch is replayed; turns already
            # taken in are skipped by the ledger, failed ones get another try. Late-
            # decrypted events stay queued for the same reason.
            raise BatchIncomplete("a turn could not be taken in and will be retried")
        self.matrix.handled(delivery)

    def _ask_to_resend(self, lost: Lost) -> None:
        """A participant's message that never decrypted: ask for it again, in their
        room, in turn with their other answers."""
        participant = self.registry.find(lost.sender)
        if participant is None or participant.room_id != lost.room_id:
            return
        expected = participant.room_members(self.config.matrix.bot_user_id)
        reply = text("resend", participant.language)

        async def ask() -> None:
            await self.transports.notice(
                lost.room_id, reply, transaction_id(f"resend {lost.event_id}", 0), expected
            )
            logs.event("resend_asked", participant=participant.pseudonym)

        self.workers.submit_job(lost.room_id, ask)

    async def _take_in(self, inbound: Inbound) -> bool:
        try:
            turn = await self.turns.intake(inbound)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            attempts = self._failures.get(inbound.event_id, 0) + 1
            self._failures[inbound.event_id] = attempts
            logs.warning("turn_intake_failed", error=type(exc).__name__, attempt=attempts)
            if attempts < MAX_TURN_ATTEMPTS:
                return False
            if attempts == MAX_TURN_ATTEMPTS:
                # Set aside so the others go on; it was never screened, so people hear.
                await self._guard("unscreened_notice", self._tell_unscreened(inbound))
            return True
        if turn is not None:
            self.workers.submit(turn)
        return True

    async def _tell_unscreened(self, inbound: Inbound) -> None:
        participant = None
        with contextlib.suppress(Exception):  # the vault may be what is failing
            participant = self.registry.find(inbound.sender)
        logs.warning(
            "message_unscreened", participant=participant.pseudonym if participant else None
        )
        txn = f"samtal-unscreened-{hashlib.sha256(inbound.event_id.encode()).hexdigest()[:16]}"
        if participant is None:
            await self.team_notice(unscreened_notice(None), txn)
            return
        await self.desk_notice(
            self._responsible_for(participant),
            unscreened_notice(participant_code(participant.pseudonym)),
            txn,
        )

    async def _guard(self, what: str, work: Awaitable[None]) -> bool:
        """A failing handler is logged, never fatal; returns whether it worked."""
        try:
            await work
            return True
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            logs.warning(f"{what}_failed", error=type(exc).__name__)
            return False

    async def report_new_devices(self) -> None:
        """Tell staff when an account gains a device, or a device is held back."""
        while self.matrix.sender.new_devices:
            report = self.matrix.sender.new_devices.pop()
            participant = self.registry.find(report.user_id)
            text = device_report_text(report, participant)
            if text is None:
                continue
            txn = f"samtal-device-{report.code}-{int(time.time())}"
            if participant is None:
                await self.team_notice(text, txn)  # a staff account: all staff may confirm
            else:
                # It names a participant: only the desks responsible for them hear of it.
                await self.desk_notice(self._responsible_for(participant), text, txn)

    def _responsible_for(self, participant: Participant) -> tuple[str, ...]:
        """Who hears content-free news about a participant: their mediator (on-call
        when they have none) and the supervisors."""
        first = (participant.mediator,) if participant.mediator else self.config.escalation.on_call
        return (*first, *self.config.escalation.supervisors)

    async def team_notice(self, text: str, txn: str) -> None:
        """A content-free notice for all staff: in the team room, or where there is
        none, in each supervisor's desk."""
        if not self.config.escalation.team_room:
            await self.desk_notice(self.config.escalation.supervisors, text, txn)
        elif self.staff_room.room_id is not None:
            await self.transports.notice(
                self.staff_room.room_id, text, txn, self.staff_room.members()
            )

    async def desk_notice(self, people: tuple[str, ...], text: str, txn: str) -> None:
        """One notice in each of these people's desks (a desk with a stranger in it is
        skipped; one desk that fails does not keep the others from hearing)."""
        for person in dict.fromkeys(people):
            room_id = self.desks.room_of(person)
            if room_id is None or not self.desks.usable(person):
                continue
            try:
                await self.transports.notice(
                    room_id,
                    text,
                    transaction_id(f"{txn}@{person}", 0),
                    self.desks.members_of(person),
                )
            except Exception as exc:
                logs.warning("desk_notice_failed", error=type(exc).__name__)

    async def report_downtime(self, last_alive: float | None) -> None:
        """After the first sync: tell staff how long the gateway was away and how many
        messages it handled late."""
        await self.sync.first_sync_done.wait()
        text = downtime_notice(last_alive, self._started_at, len(self._late_messages))
        logs.event(
            "gateway_back",
            down_s=None if last_alive is None else round(self._started_at - last_alive, 1),
            late_messages=len(self._late_messages),
        )
        if text is not None:
            await self.team_notice(text, f"samtal-back-{int(self._started_at)}")

    def _alive(self) -> None:
        self.state.save_alive_at(time.time())

    def check_records(self) -> None:
        """At each start: keep a record digest for owners from before digests, and
        check every owner's records against theirs. A record put back from an
        older state is reported (a count, no pseudonym) and left for the operator,
        who finds the owners with `samtal audit verify`."""
        covered = self.vault.cover_records()
        mismatched = self.vault.verify_records()
        logs.event("vault_records_checked", covered=covered, mismatched=len(mismatched))
        if mismatched:
            logs.warning("vault_records_replaced", owners=len(mismatched))

    def _audit_escalation(self, esc: Escalation, change: str, by: str) -> None:
        actor = "system" if by == "system" else self.accountability.staff(by)
        self.accountability.record(
            "escalation", actor, esc.participant, f"{change} {esc.code} {esc.level}"
        )

    async def _serve_forget_requests(self) -> None:
        """Carry out `samtal forget` requests left in the vault, once a second, and
        shred whoever passed the retention limit, every ten seconds. Any one failure
        is logged and the loop goes on: it also keeps the digest and the audit head."""
        await self.sync.first_sync_done.wait()
        requests = ForgetRequests(self.vault)
        await every_second(lambda ticks: self._housekeeping(ticks, requests))

    def _ready_to_forget(self, participant: str) -> bool:
        """A deletion waits while a page about the participant is unacknowledged (the
        page and its re-escalation must not vanish with their data) and while a turn
        of theirs is being answered (the confirmation must reach them first)."""
        if self.escalations.any_open(participant):
            reason = "open_page"
        elif any(turn.owner == participant for turn in self.ledger.pending()):
            reason = "turn_in_flight"
        else:
            self._deletion_waiting.discard(participant)
            return True
        if participant not in self._deletion_waiting:
            self._deletion_waiting.add(participant)
            logs.event("deletion_waits", participant=participant, reason=reason)
        return False

    async def _housekeeping(self, ticks: int, requests: ForgetRequests) -> None:
        if ticks % RETENTION_EVERY_TICKS == 1:
            await self._guard("retention", self._apply_retention())
            if self.telegram is not None:
                self.telegram.purge_expired_codes()
            await self._guard("digest", self.digest.post_if_due())
        if ticks % ALIVE_EVERY_TICKS == 0:
            self._alive()
        await self._guard("checkin_summaries", self.results.flush())
        await self._guard("introductions", self._introductions())
        if ticks % AUDIT_HEAD_EVERY_TICKS == 1:
            await self._guard("audit_head", self.publish_audit_head())
        for request in requests.pending():
            if not self._ready_to_forget(request["participant"]):
                continue
            participant = self.registry.get(request["participant"])
            room = participant.room_id if participant else None
            closed = await self._guard(
                "close_escalations", self.escalations.close_for_deletion(request["participant"])
            )
            if not closed:
                requests.failed(request["participant"])
                continue
            await self.shown.remove(request["participant"])
            forgotten = await self._guard(
                "forget",
                self.deletion.forget(
                    request["participant"],
                    room,
                    actor=request["actor"],
                    reason=request["reason"],
                    language=participant.language if participant else FALLBACK_LANGUAGE,
                ),
            )
            # Done only when it was done; a failed one stays and is tried again.
            if forgotten:
                requests.done(request["participant"])
            else:
                requests.failed(request["participant"])

    async def _introductions(self) -> None:
        self.opening.poll()

    async def publish_audit_head(self) -> None:
        """Post the audit chain's signed head where this process cannot rewrite it.

        A chain kept by one process could be rewritten whole; a head published
        to the team room lets `samtal audit verify` catch that later.
        """
        head = self.accountability.audit.head()
        if head is None or head.seq == self._published_head:
            logs.event("audit_head_unchanged", has_head=head is not None)
            return
        await self.team_notice(
            f"🧾 audit head {head_to_json(head)}",
            # Each process publishes afresh: the same head may be needed again by
            # staff who joined after it was first posted.
            f"samtal-audit-head-{head.seq}-{self._process_nonce}",
        )
        self._published_head = head.seq
        logs.event("audit_head_published", seq=head.seq)

    async def _apply_retention(self) -> None:
        now = time.time()
        for participant in self.registry.all():
            if due_for_shredding(
                participant, now, self.config.retention_seconds
            ) and self._ready_to_forget(participant.pseudonym):
                await self.escalations.close_for_deletion(participant.pseudonym)
                await self.shown.remove(participant.pseudonym)
                await self.deletion.forget(
                    participant.pseudonym,
                    participant.room_id,
                    actor="system",
                    reason="retention limit reached",
                    action="retention",
                    language=participant.language,
                )

    async def _run_escalations(self) -> None:
        # Desks must be known to the client before a page can go to them; pages raised
        # meanwhile wait in the vault (the first sync takes well under a second). A
        # first sync that keeps failing must not hold pages back: they go regardless.
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self.sync.first_sync_done.wait(), FIRST_SYNC_WAIT_SECONDS)
        await self.escalations.run()

    async def _run_checkins(self) -> None:
        await self.sync.first_sync_done.wait()  # rooms must be known before anything is sent
        await self.checkins.run()

    async def _resume_pending(self) -> None:
        """Turns taken in before a restart but not answered: answer them once rooms are
        known again."""
        await self.sync.first_sync_done.wait()
        for turn in self.ledger.pending():
            self.workers.submit(turn)

    async def run(self) -> None:
        counting = logs.observe(self.metrics.on_event)
        monitoring = await self._start_monitoring()
        console = await self._start_console()
        try:
            await self._run()
        finally:
            if console is not None:
                await console.cleanup()
            if monitoring is not None:
                await monitoring.cleanup()
            counting()

    async def _run(self) -> None:
        await self.matrix.log_in()
        # Known only once logged in: the bot's own address on each messenger.
        self.turns.own_ids = frozenset(messenger.own_id for messenger in self._messengers)
        await self._guard("cross_signing", self.matrix.ensure_identity())
        if self.config.escalation.team_room:
            await self.staff_room.ensure()
        await self.desks.ensure()
        await self._guard("vault_check", asyncio.to_thread(self.check_records))
        logs.event("gateway_started")
        last_alive = self.state.alive_at()
        back = asyncio.create_task(self._guard("downtime_report", self.report_downtime(last_alive)))
        escalations = asyncio.create_task(self._run_escalations())
        resume = asyncio.create_task(self._resume_pending())
        forgetting = asyncio.create_task(self._serve_forget_requests())
        checkins = asyncio.create_task(self._run_checkins())
        telegram = asyncio.create_task(self._run_telegram())
        try:
            await self.sync.run()
        finally:
            back.cancel()
            telegram.cancel()
            with contextlib.suppress(Exception):
                self._alive()  # a clean stop: the downtime starts now
            resume.cancel()
            forgetting.cancel()
            checkins.cancel()
            await self.workers.stop()
            await self.invites.close()
            escalations.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await escalations
            await self.rasa.close()
            await self.matrix.close()
            if self.telegram is not None:
                await self.telegram.close()
            self.vault.close()
