"""The check-in clock at work: start check-ins, remind once, act on misses.

Decisions come from ``bot.core.checkins``; this module carries them out. Each
step runs in the participant's room worker, behind any turn of theirs, and
its new state and messages are sealed in the vault before anything is sent
(transaction ids derive from participant, slot and step, so a resend after a
crash reaches the participant once).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from functools import partial

from bot import logs
from bot.checkins.delivery import CheckinDelivery
from bot.checkins.results import CheckinResults
from bot.config import GatewayConfig
from bot.core.checkins import (
    Cancelled,
    CheckinState,
    Missed,
    Remind,
    Start,
    Step,
    after,
    next_step,
    on_demand_refusal,
)
from bot.core.effects import EffectValidator
from bot.core.model import Participant
from bot.core.packing import pack
from bot.core.replies import MAX_REPLY_CHARS
from bot.core.texts import text
from bot.escalation.engine import EscalationEngine
from bot.rasa.client import RasaClient, RasaControl
from bot.rasa.opening import open_in_dialogue
from bot.state.checkins import CheckinStore, Outbox
from bot.state.participants import ParticipantRegistry
from bot.transports import port
from bot.transports.traffic import Traffic
from bot.turns.risk_memory import RiskMemory
from bot.turns.workers import RoomWorkers
from safety.risk.context import RiskContext, context_signals

CHECKIN_DUE = "EXTERNAL_checkin_due"


class CheckinScheduler:
    def __init__(
        self,
        config: GatewayConfig,
        registry: ParticipantRegistry,
        store: CheckinStore,
        rasa: RasaClient,
        validator: EffectValidator,
        sender: port.Outbox,
        traffic: Traffic,
        escalations: EscalationEngine,
        workers: RoomWorkers,
        memory: RiskMemory,
        results: CheckinResults,
    ) -> None:
        self._config = config
        self._registry = registry
        self._store = store
        self._rasa = rasa
        self._control = RasaControl(rasa)
        self._validate = validator
        self._sender = sender
        self._traffic = traffic
        self._escalations = escalations
        self._workers = workers
        self._memory = memory
        self._results = results
        self._queued: set[str] = set()
        # Told when a participant's messenger refuses a check-in (set by the gateway).
        self.unreachable: Callable[[Participant], Awaitable[None]] | None = None
        self._delivery = CheckinDelivery(
            config, registry, store, sender, traffic, self._tell_unreachable
        )

    async def _tell_unreachable(self, participant: Participant) -> None:
        if self.unreachable is not None:
            await self.unreachable(participant)

    def _next(self, participant: Participant, state: CheckinState, now: float) -> Step | None:
        return next_step(
            participant,
            state,
            now,
            consent_version=self._config.dialogue.consent_version,
            zone=self._config.dialogue.zone,
            timing=self._config.checkins.timing,
        )

    def tick(self) -> None:
        """Queue the due step of every participant into their room's worker."""
        now = time.time()
        for participant in self._registry.all():
            try:
                self._consider(participant, now)
            except Exception as exc:  # one bad record must not stop every check-in
                logs.warning(
                    "checkin_tick_failed",
                    participant=participant.pseudonym,
                    error=type(exc).__name__,
                )

    def _consider(self, participant: Participant, now: float) -> None:
        room_id = participant.room_id
        if room_id is None or participant.schedule is None:
            return  # most participants: no vault read
        if participant.pseudonym in self._queued:
            return
        state, outbox = self._store.get(participant.pseudonym)
        if outbox is None and self._next(participant, state, now) is None:
            return
        self._queued.add(participant.pseudonym)
        self._workers.submit_job(room_id, partial(self._work, participant.pseudonym))

    async def _work(self, pseudonym: str) -> None:
        try:
            await self._delivery.flush(pseudonym)
            participant = self._registry.get(pseudonym)
            if participant is None:
                return
            state, _ = self._store.get(pseudonym)
            now = time.time()
            step = self._next(participant, state, now)  # again: a turn may have changed things
            if step is None:
                return
            if isinstance(step, Start) and self._risk_in_hand(participant):
                return  # people are dealing with this participant; try again later
            await self._carry_out(participant, step, now)
            await self._delivery.flush(pseudonym)
        finally:
            self._queued.discard(pseudonym)

    def _risk_in_hand(self, participant: Participant) -> bool:
        return self._traffic.pages_waiting or self._escalations.any_open(participant.pseudonym)

    async def _carry_out(self, participant: Participant, step: Step, now: float) -> None:
        who = participant.pseudonym
        if isinstance(step, Missed):
            if step.after_high:
                # Paged before the miss is recorded: a failure here retries the page.
                signals = context_signals(RiskContext(missed_checkin_after_high=True))
                level = max((s.level for s in signals), key=lambda lv: lv.rank)
                categories = tuple(s.category for s in signals)
                self._escalations.raise_for(participant, level.value, categories, None)
            state, _ = self._store.get(who)
            self._store.update(who, after(state, step, now))
            if not step.after_high:
                # After the state: a retry must not note the same miss twice.
                self._memory.checkin_missed(participant)
            # What was answered of it reaches the mediator (once: finishing twice is nothing).
            self._results.abandoned(participant)
            # Not whether it followed high risk: beside the pseudonym that would say it of them.
            logs.event("checkin_missed", participant=who)
            return
        if isinstance(step, Cancelled):
            state, _ = self._store.get(who)
            self._store.update(who, after(state, step, now))
            logs.event("checkin_cancelled", participant=who)
            return
        if isinstance(step, Remind):
            replies: tuple[str, ...] = (text("checkin_reminder", participant.language),)
        else:
            started = await self._start_in_dialogue(participant, now)
            if started is None:
                return  # Rasa could not answer; the next tick tries again
            replies = started
        # Re-read after the dialogue's answer: a message, a page or a handoff may
        # have come in meanwhile, and the turn pipeline writes this record too.
        fresh = self._registry.get(who)
        state, _ = self._store.get(who)
        if fresh is None or self._next(fresh, state, time.time()) != step:
            logs.event("checkin_step_abandoned", participant=who)
            return
        # Packed now and stored packed: a resend sends exactly what was meant to go.
        messages = pack(replies, MAX_REPLY_CHARS)
        outbox = Outbox(f"checkin|{who}|{step.slot}|{type(step).__name__}", messages, now)
        self._store.save(who, after(state, step, now), outbox)
        logs.event("checkin_" + type(step).__name__.lower(), participant=who)

    async def _start_in_dialogue(
        self, participant: Participant, now: float
    ) -> tuple[str, ...] | None:
        """A fresh Rasa session told the participant's language and consent, then the
        dialogue's own check-in opening."""
        return await open_in_dialogue(
            self._config, self._rasa, self._validate, participant, CHECKIN_DUE, now
        )

    def start_now(self, participant: Participant) -> str | None:
        """A check-in a mediator asked for (``!checkin``), queued into the participant's
        room in turn with their messages. Returns why it cannot start, or None."""
        state, _ = self._store.get(participant.pseudonym)
        refusal = on_demand_refusal(participant, state, self._config.dialogue.consent_version)
        if refusal is not None or participant.room_id is None:
            return refusal or "they have no chat with samtal yet"
        self._workers.submit_job(
            participant.room_id, partial(self._start_on_demand, participant.pseudonym)
        )
        return None

    async def _start_on_demand(self, pseudonym: str) -> None:
        participant = self._registry.get(pseudonym)
        if participant is None:
            return
        state, _ = self._store.get(pseudonym)
        now = time.time()
        if on_demand_refusal(participant, state, self._config.dialogue.consent_version):
            return  # something changed while it waited its turn
        replies = await self._start_in_dialogue(participant, now)
        if replies is None:
            return
        step = Start(now)
        state, _ = self._store.get(pseudonym)
        self._store.save(
            pseudonym,
            after(state, step, now),
            Outbox(f"checkin|{pseudonym}|{now}|on_demand", pack(replies, MAX_REPLY_CHARS), now),
        )
        logs.event("checkin_start", participant=pseudonym, on_demand=True)
        await self._delivery.flush(pseudonym)

    async def run(self) -> None:
        while True:
            try:
                self.tick()
            except Exception as exc:  # one bad record must not stop every check-in
                logs.warning("checkin_tick_failed", error=type(exc).__name__)
            await asyncio.sleep(self._config.checkins.tick_seconds)
