"""One inbound message through the turn pipeline, answered exactly once.

Intake, right after the sync: dedupe → enrolment → room checks → safety screen
(escalates at once) → the turn is persisted. Completion, per room in order:
dialogue (or its safety flow) → effects → reply. Escalation never waits for
the dialogue, and a slow dialogue never holds up the next sync.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace

from bot import logs
from bot.checkins.results import CheckinResults
from bot.config import GatewayConfig
from bot.core.decide import Refuse, Skip, decide
from bot.core.dialogue_metadata import dialogue_metadata
from bot.core.effects import EffectValidator, apply_effects
from bot.core.flood import BACKLOG_LIMIT, Arrival, when_answering
from bot.core.kinds import NOT_READ, Kind, explain_due
from bot.core.language import detect
from bot.core.model import Inbound, Participant, TurnPlan
from bot.core.own_words import without_matrix_ids
from bot.core.packing import pack
from bot.core.replies import MAX_REPLY_CHARS, answered_or, plan_replies
from bot.core.screen import SafetyScreen
from bot.core.texts import text
from bot.core.transport_names import transport_of
from bot.errors import ParticipantUnreachable, RasaUnavailable, TransportError
from bot.escalation.engine import EscalationEngine
from bot.participants.accountability import Accountability
from bot.participants.deletion import Deletion
from bot.rasa.client import RasaClient, RasaControl
from bot.state.participants import ParticipantRegistry
from bot.state.turns import ANSWERED, PLANNED, PendingTurn, TurnLedger
from bot.transports.idempotency import message_key, transaction_id
from bot.transports.port import Outbox
from bot.transports.traffic import Traffic, send_after_pages
from bot.transports.typing_indicator import typing_while_slow
from bot.turns.risk_memory import RiskMemory
from safety.risk.levels import Assessment, RiskLevel

_REFUSAL_TEXT = {
    Refuse.UNENCRYPTED_ROOM: "unencrypted_room",
    Refuse.OTHERS_IN_ROOM: "others_in_room",
}
_PAGED = (RiskLevel.HIGH, RiskLevel.IMMINENT)
# Asking where a victim, the children or a shelter is gets a neutral answer of its own:
# the bot holds no such information, and thanking the person would reward the question.
LOCATION_REQUEST = "victim_location_request"
# A shared location reaches the mediator's digest as this signal, never as coordinates.
LOCATION_SHARED = "location_shared"


async def _no_relay(participant: Participant, turn: PendingTurn) -> None:
    return None


async def _nobody_told(participant: Participant) -> None:
    return None


class TurnHandler:
    def __init__(
        self,
        config: GatewayConfig,
        registry: ParticipantRegistry,
        ledger: TurnLedger,
        sender: Outbox,
        rasa: RasaClient,
        validator: EffectValidator,
        screen: SafetyScreen,
        escalations: EscalationEngine,
        accountability: Accountability,
        deletion: Deletion,
        traffic: Traffic,
        memory: RiskMemory,
        results: CheckinResults,
    ) -> None:
        self._config = config
        self._registry = registry
        self._ledger = ledger
        self._sender = sender
        self._rasa = rasa
        self._control = RasaControl(rasa)
        self._validate = validator
        self._screen = screen
        self._escalations = escalations
        self._accountability = accountability
        self._deletion = deletion
        self._traffic = traffic
        self._memory = memory
        self._results = results
        # How many turns wait behind a room's current one (set by the gateway to its
        # room workers' count), and the rooms asked to slow down during their backlog.
        self.backlog_of: Callable[[str], int] = lambda room_id: 0
        # During a handoff on a messenger staff cannot join (set by the gateway).
        self.relay: Callable[[Participant, PendingTurn], Awaitable[None]] = _no_relay
        # Told when a participant's messenger will not deliver to them (set by the gateway).
        self.unreachable: Callable[[Participant], Awaitable[None]] = _nobody_told
        # The bot's own address on each messenger it runs (set by the gateway).
        self.own_ids: frozenset[str] = frozenset({config.matrix.bot_user_id})
        self._asked_to_slow_down: set[str] = set()
        # When each participant was last told that only text is read (a burst of
        # photos gets one answer; after a restart, at most one more).
        self._explained_at: dict[str, float] = {}

    async def intake(self, inbound: Inbound) -> PendingTurn | None:
        """The fast part, before the sync position moves on: decide, screen, escalate,
        and persist the turn. Returns the turn to answer, or None."""
        participant = self._registry.find(inbound.sender)
        stored = self._ledger.get(participant.pseudonym, inbound.event_id) if participant else None
        dialogue = self._config.dialogue
        language = dialogue.default_language
        if participant is not None:
            language = detect(inbound.text, dialogue.languages, participant.language)
        decision = decide(
            inbound,
            own_ids=self.own_ids,
            participant=participant,
            already_handled=stored is not None,
            allowed_companions=participant.companions() if participant else frozenset(),
            language=language,
        )
        if isinstance(decision, Skip):
            logs.event("turn_skipped", reason=decision.value)
            return None
        assert participant is not None
        if isinstance(decision, Refuse):
            # Whatever the room's state, what was written is screened and a page
            # raised; only the dialogue's answer is withheld.
            if inbound.kind not in NOT_READ:
                await self._screen_and_page(inbound, participant, language)
            await self._refuse(inbound, participant, decision, language)
            return None
        if inbound.kind in NOT_READ:
            return self._not_read(inbound, participant, decision.language)
        assessment, signals = await self._screen_and_page(inbound, participant, decision.language)
        if inbound.replaces is not None and assessment.level not in _PAGED:
            # An edit is screened as the new text; unless it raised a page it is not a
            # new turn, so the dialogue does not answer the same message twice.
            self._ledger.answered(participant.pseudonym, inbound.event_id)
            logs.event("edit_screened", participant=participant.pseudonym)
            return None
        turn = PendingTurn(
            owner=participant.pseudonym,
            event_id=inbound.event_id,
            sender=inbound.sender,
            room_id=inbound.room_id,
            text=inbound.text,
            timestamp_ms=inbound.timestamp_ms,
            language=decision.language,
            level=assessment.level.value,
            categories=signals,
        )
        self._ledger.received(turn)
        return turn

    async def _screen_and_page(
        self, inbound: Inbound, participant: Participant, language: str
    ) -> tuple[Assessment, tuple[str, ...]]:
        assessment = await self._screen.screen(inbound, participant, language)
        signals = tuple(sorted({s.category for s in assessment.signals}))
        if assessment.level in _PAGED:
            quote = without_matrix_ids(inbound.text)
            self._escalations.raise_for(
                participant, assessment.level.value, signals, quote, inbound.event_id
            )
        self._memory.message(
            participant, assessment.level, (s.category for s in assessment.signals)
        )
        return assessment, signals

    async def _refuse(
        self, inbound: Inbound, participant: Participant, decision: Refuse, language: str
    ) -> None:
        """Say why the bot will not talk here, if it can. In an encrypted room with
        someone unexpected it cannot (nothing goes to a stranger's devices); the
        message is then recorded as handled rather than retried and dropped."""
        refusal = (text(_REFUSAL_TEXT[decision], language),)
        try:
            await self._answer(
                inbound.room_id, inbound.event_id, participant, refusal, after_pages=False
            )
        except TransportError as exc:
            logs.warning(
                "refusal_withheld",
                participant=participant.pseudonym,
                reason=decision.value,
                status=exc.status,
            )
        self._ledger.answered(participant.pseudonym, inbound.event_id)
        logs.event("turn_refused", participant=participant.pseudonym, reason=decision.value)

    def _not_read(
        self, inbound: Inbound, participant: Participant, language: str
    ) -> PendingTurn | None:
        """A photo, voice message, location or poll: never opened or kept. The participant
        hears once per burst that only text is read; a location is noted for the mediator
        as the fact that one was shared, without where."""
        if inbound.kind is Kind.LOCATION:
            self._memory.noted(participant, LOCATION_SHARED)
        now = time.time()
        explain = explain_due(self._explained_at.get(participant.pseudonym), now)
        logs.event(
            "message_not_read",
            participant=participant.pseudonym,
            message_kind=inbound.kind.value,
            explained=explain,
        )
        if not explain:
            self._ledger.answered(participant.pseudonym, inbound.event_id)
            return None
        self._explained_at[participant.pseudonym] = now
        turn = PendingTurn(
            owner=participant.pseudonym,
            event_id=inbound.event_id,
            sender=inbound.sender,
            room_id=inbound.room_id,
            text="",
            timestamp_ms=inbound.timestamp_ms,
            language=language,
            level=RiskLevel.NONE.value,
            kind=inbound.kind.value,
        )
        self._ledger.received(turn)
        return turn

    def _flood_plan(self, turn: PendingTurn) -> TurnPlan | None:
        """The plan of a turn kept but not put to the dialogue (bot.core.flood), or
        None when the turn goes to the dialogue as usual."""
        behind = self.backlog_of(turn.room_id)
        if behind < BACKLOG_LIMIT:
            self._asked_to_slow_down.discard(turn.room_id)
        arrival = when_answering(
            behind, RiskLevel(turn.level), turn.room_id in self._asked_to_slow_down
        )
        if arrival is Arrival.ANSWER:
            return None
        asked = arrival is Arrival.SLOW_DOWN
        self._asked_to_slow_down.add(turn.room_id)
        logs.event("turn_overflow", participant=turn.owner, asked=asked)
        return TurnPlan(replies=(text("slow_down", turn.language),) if asked else ())

    async def complete(self, turn: PendingTurn) -> None:
        """The slow part, per room in order: dialogue, effects, replies."""
        started = time.perf_counter()
        stored = self._ledger.get(turn.owner, turn.event_id)
        participant = self._registry.find(turn.sender)
        if stored is None or stored.state == ANSWERED or participant is None:
            return
        fresh = stored.state != PLANNED
        async with typing_while_slow(self._sender, self._traffic, turn.room_id):
            if not fresh:
                plan = TurnPlan(replies=stored.replies, effects=stored.effects)
                logs.event("turn_resumed", participant=participant.pseudonym)
            else:
                # During a handoff every message reaches the person who took over, a
                # burst included: the flood rule is for the dialogue, not for them.
                in_handoff = participant.handoff_by is not None
                plan = (None if in_handoff else self._flood_plan(turn)) or await self._plan(
                    turn, participant
                )
                # Stored as the messages that go out, so a resend after a crash sends
                # exactly those (a turn planned before packing resends one per reply).
                plan = replace(plan, replies=pack(plan.replies, MAX_REPLY_CHARS))
                self._ledger.planned(turn.owner, turn.event_id, plan)
            planned = time.perf_counter()
            self._apply(participant, plan, turn, fresh=fresh)
            if any(effect["type"] == "deletion_requested" for effect in plan.effects):
                # Durable before the participant hears that it will happen.
                self._deletion.request(participant.pseudonym, "participant", "participant asked")
            try:
                await self._answer(turn.room_id, turn.event_id, participant, plan.replies)
            except ParticipantUnreachable:
                # They blocked the bot: no retry will reach them. The turn is done
                # (it was screened, and any page went out), and their mediator hears.
                self._ledger.answered(turn.owner, turn.event_id)
                logs.warning("participant_unreachable", participant=participant.pseudonym)
                await self.unreachable(participant)
                return
        self._ledger.answered(turn.owner, turn.event_id)
        if any(effect["type"] == "checkin_completed" for effect in plan.effects):
            await self._new_session(participant)
        logs.event(
            "turn_answered",
            participant=participant.pseudonym,
            messages=len(plan.replies),
            effects=len(plan.effects),
            blocked_questions=plan.blocked_questions,
            ms=round((time.perf_counter() - started) * 1000, 1),
            ms_plan=round((planned - started) * 1000, 1),
        )

    async def _plan(self, turn: PendingTurn, participant: Participant) -> TurnPlan:
        if participant.handoff_by is not None:
            # A person is talking with them; the bot is silent, and where that person
            # cannot join the chat, hands them what was written.
            await self.relay(participant, turn)
            return TurnPlan(replies=())
        # Pages go out before Rasa and the homeserver are busy with this turn.
        await self._traffic.pages_first()
        if turn.kind != Kind.TEXT.value:
            return TurnPlan(replies=(text("text_only", turn.language),))
        if RiskLevel(turn.level) in _PAGED:
            plan = await self._safety_flow(participant, turn.level, turn.language)
            if turn.level == RiskLevel.HIGH.value and LOCATION_REQUEST in turn.categories:
                neutral = text("safety_location_request", turn.language)
                # Alone, the request gets the neutral answer in place of the safety
                # flow's thanks, and keeps its offer of a person; with other risk,
                # the neutral answer comes first and the safety flow follows whole.
                alone = set(turn.categories) == {LOCATION_REQUEST}
                rest = plan.replies[1:] if alone else plan.replies
                return replace(plan, replies=(neutral, *rest))
            return plan
        return await self._dialogue(turn, participant)

    async def _safety_flow(self, participant: Participant, level: str, language: str) -> TurnPlan:
        """Move the dialogue into its safety flow; if it cannot answer, the gateway does."""
        fallback = TurnPlan(replies=(text(f"safety_{level}", language),))
        try:
            messages = await self._control.trigger_intent(
                participant.pseudonym, "EXTERNAL_risk_detected", {"risk_level": level}
            )
        except RasaUnavailable as exc:
            logs.warning(
                "safety_flow_unavailable", participant=participant.pseudonym, error=str(exc)
            )
            return fallback
        plan = self._plan_from(messages, participant)
        return plan if plan.replies else fallback

    async def _dialogue(self, turn: PendingTurn, participant: Participant) -> TurnPlan:
        dialogue = self._config.dialogue
        metadata = dialogue_metadata(
            participant,
            turn.language,
            time.time(),
            consent_version=dialogue.consent_version,
            zone=dialogue.zone,
            consent_terms=self._config.consent_terms,
        )
        language = turn.language
        try:
            # Rasa reads text starting with "/" as an intent: a participant must not be
            # able to type "/EXTERNAL_risk_detected" or any other intent by hand.
            text_for_rasa = turn.text.lstrip().lstrip("/") or turn.text
            messages = await self._rasa.message(
                participant.pseudonym,
                text_for_rasa,
                metadata,
                message_id=message_key(turn.event_id),
            )
        except RasaUnavailable as exc:
            logs.warning("dialogue_unavailable", participant=participant.pseudonym, error=str(exc))
            return TurnPlan(replies=(text("dialogue_unavailable", language),))
        plan = self._plan_from(messages, participant)
        answered = answered_or(plan, text("dialogue_unavailable", language))
        if answered is not plan:
            logs.warning("dialogue_answered_nothing", participant=participant.pseudonym)
        return answered

    def _plan_from(self, messages: list[dict[str, object]], participant: Participant) -> TurnPlan:
        version = self._config.dialogue.consent_version
        return plan_replies(
            messages,
            consented=participant.has_consented(version),
            consent_version=version,
            validate_effects=self._validate,
        )

    def _apply(
        self, participant: Participant, plan: TurnPlan, turn: PendingTurn, *, fresh: bool
    ) -> None:
        # Read again: staff may have changed the record (!assign, !pause) while the
        # dialogue was answering; the effects go on top of that, not over it.
        participant = self._registry.get(participant.pseudonym) or participant
        updated = apply_effects(participant, plan.effects, time.time())
        if updated.room_id != turn.room_id:
            updated = replace(updated, room_id=turn.room_id)
        if updated != participant:
            self._registry.save(updated)
        # A replayed turn re-applies its effects; the ledger records a decision once.
        consent_changed = updated.consent_version != participant.consent_version
        if fresh or consent_changed:
            for effect in plan.effects:
                self._accountability.consent_effect(
                    participant.pseudonym,
                    dict(effect),
                    self._config.dialogue.consent_version,
                    turn.language,
                    transport_of(participant.matrix_id),
                )
        if fresh:
            self._accountability.flows_ran(str(effect["type"]) for effect in plan.effects)
        for effect in plan.effects:
            if effect["type"] == "handoff_requested" and not self._escalations.has_open(
                participant.pseudonym, "handoff"
            ):
                self._escalations.raise_for(participant, "handoff", ("participant_asked",), None)
            if effect["type"] == "risk_flag":
                self._fuse_dialogue_risk(participant, effect, turn)
        # Also on a replayed turn: a finished check-in must not be counted as missed.
        self._memory.effects(participant, plan.effects)
        # Idempotent by the turn's id: a replayed turn keeps nothing twice.
        self._results.take(participant, plan.effects, turn.event_id, turn.level)

    def _fuse_dialogue_risk(
        self, participant: Participant, effect: Mapping[str, object], turn: PendingTurn
    ) -> None:
        """The dialogue's own risk intents are a second signal; the higher level wins.

        A flag the dialogue raised because the gateway's screen told it to
        (signal ``safety_screen``) is already escalated.
        """
        signals = tuple(str(s) for s in effect.get("signals", ()))  # type: ignore[attr-defined]
        level = str(effect.get("level"))
        if "safety_screen" in signals or level not in ("high", "imminent"):
            return
        if RiskLevel(level).rank <= RiskLevel(turn.level).rank:
            return  # the screen already paged at this level or higher
        quote = without_matrix_ids(turn.text)
        self._escalations.raise_for(
            participant, level, tuple(sorted(signals)), quote, f"{turn.event_id} dialogue"
        )
        self._memory.message(participant, RiskLevel(level))

    async def _new_session(self, participant: Participant) -> None:
        """Each check-in ends its Rasa session, so the next one starts fresh: Rasa's
        turn cost grows with the events of the session it has to replay."""
        try:
            await self._control.start_session(participant.pseudonym, {"after": "checkin"})
            logs.event("rasa_session_started", participant=participant.pseudonym)
        except RasaUnavailable as exc:
            logs.warning("rasa_session_start_failed", error=str(exc))

    async def _answer(
        self,
        room_id: str,
        answering: str,
        participant: Participant,
        replies: tuple[str, ...],
        *,
        after_pages: bool = True,
    ) -> None:
        """Send the replies; ``after_pages=False`` only where waiting would hold up the sync."""
        expected = participant.room_members(self._config.matrix.bot_user_id)
        if after_pages:
            await send_after_pages(
                self._sender, self._traffic, room_id, replies, answering, expected
            )
            return
        for index, reply in enumerate(replies):
            await self._sender.notice(room_id, reply, transaction_id(answering, index), expected)
