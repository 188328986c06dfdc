"""One inbound message through the turn pipeline, answered exactly once.

dedupe → enrolment → room checks → safety screen (escalates at once) →
dialogue (or its safety flow) → effects → reply.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable
from dataclasses import replace

from bot import logs
from bot.config import GatewayConfig
from bot.core.decide import Handle, Refuse, Skip, decide
from bot.core.effects import EffectValidator, apply_effects
from bot.core.language import detect
from bot.core.model import Inbound, Participant, TurnPlan
from bot.core.replies import plan_replies
from bot.core.screen import SafetyScreen
from bot.core.texts import text
from bot.errors import MatrixCallError, RasaUnavailable
from bot.escalation.engine import EscalationEngine
from bot.matrix.sender import Sender, transaction_id
from bot.rasa.client import RasaClient, RasaControl
from bot.state.participants import ParticipantRegistry
from bot.state.turns import TurnLedger
from safety.risk.levels import RiskLevel

_REFUSAL_TEXT = {
    Refuse.UNENCRYPTED_ROOM: "unencrypted_room",
    Refuse.OTHERS_IN_ROOM: "others_in_room",
}
_PAGED = (RiskLevel.HIGH, RiskLevel.IMMINENT)


class TurnHandler:
    def __init__(
        self,
        config: GatewayConfig,
        registry: ParticipantRegistry,
        ledger: TurnLedger,
        sender: Sender,
        rasa: RasaClient,
        validator: EffectValidator,
        screen: SafetyScreen,
        escalations: EscalationEngine,
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

    async def handle(self, inbound: Inbound) -> None:
        started = time.perf_counter()
        participant = self._registry.find(inbound.sender)
        stored = self._ledger.get(participant.pseudonym, inbound.event_id) if participant else None
        dialogue = self._config.dialogue
        language = dialogue.default_language
        if participant is not None:
            language = detect(inbound.text, dialogue.languages, participant.language)
        decision = decide(
            inbound,
            bot_user_id=self._config.matrix.bot_user_id,
            participant=participant,
            already_handled=stored is not None and stored.state == "answered",
            allowed_companions=participant.companions() if participant else frozenset(),
            language=language,
        )
        if isinstance(decision, Skip):
            logs.event("turn_skipped", reason=decision.value)
            return
        assert participant is not None
        if isinstance(decision, Refuse):
            await self._answer(inbound, participant, (text(_REFUSAL_TEXT[decision], language),))
            self._ledger.answered(participant.pseudonym, inbound.event_id)
            logs.event("turn_refused", participant=participant.pseudonym, reason=decision.value)
            return
        if stored is not None and stored.state == "planned":
            plan = TurnPlan(replies=stored.replies, effects=stored.effects)
            logs.event("turn_resumed", participant=participant.pseudonym)
        else:
            plan = await self._plan(inbound, participant, decision)
            self._ledger.planned(participant.pseudonym, inbound.event_id, plan)
        self._apply(participant, plan, inbound)
        await self._answer(inbound, participant, plan.replies)
        self._ledger.answered(participant.pseudonym, inbound.event_id)
        if plan.replies:
            await self._courtesy(self._sender.typing(inbound.room_id, False))
        logs.event(
            "turn_answered",
            participant=participant.pseudonym,
            replies=len(plan.replies),
            effects=len(plan.effects),
            blocked_questions=plan.blocked_questions,
            ms=round((time.perf_counter() - started) * 1000, 1),
        )

    async def _plan(self, inbound: Inbound, participant: Participant, decision: Handle) -> TurnPlan:
        """Safety first: the screen's escalation is persisted before the dialogue runs."""
        assessment = await self._screen.screen(inbound, participant, decision.language)
        level = assessment.level
        if level in _PAGED:
            signals = tuple(sorted({s.category for s in assessment.signals}))
            self._escalations.raise_for(participant, level.value, signals, inbound.text)
        if participant.handoff_by is not None:
            return TurnPlan(replies=())  # a person is talking with them; the bot is silent
        await self._courtesy(self._sender.read_up_to(inbound.room_id, inbound.event_id))
        await self._courtesy(self._sender.typing(inbound.room_id, True))
        if level in _PAGED:
            return await self._safety_flow(participant, level.value, decision.language)
        return await self._dialogue(inbound, participant, decision.language)

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

    async def _dialogue(
        self, inbound: Inbound, participant: Participant, language: str
    ) -> TurnPlan:
        version = self._config.dialogue.consent_version
        metadata = {
            "language": language,
            "consented": participant.has_consented(version),
            "consent_version": version,
        }
        try:
            messages = await self._rasa.message(participant.pseudonym, inbound.text, metadata)
        except RasaUnavailable as exc:
            logs.warning("dialogue_unavailable", participant=participant.pseudonym, error=str(exc))
            return TurnPlan(replies=(text("dialogue_unavailable", language),))
        return self._plan_from(messages, participant)

    def _plan_from(self, messages: list[dict[str, object]], participant: Participant) -> TurnPlan:
        version = self._config.dialogue.consent_version
        return plan_replies(
            messages,
            consented=participant.has_consented(version),
            consent_version=version,
            validate_effects=self._validate,
        )

    def _apply(self, participant: Participant, plan: TurnPlan, inbound: Inbound) -> None:
        updated = apply_effects(participant, plan.effects, time.time())
        if updated.room_id != inbound.room_id:
            updated = replace(updated, room_id=inbound.room_id)
        if updated != participant:
            self._registry.save(updated)
        for effect in plan.effects:
            if effect["type"] == "handoff_requested" and not self._escalations.has_open(
                participant.pseudonym, "handoff"
            ):
                self._escalations.raise_for(participant, "handoff", ("participant_asked",), None)

    async def _courtesy(self, call: Awaitable[None]) -> None:
        """Receipts and typing are nice to have; their failure never blocks a turn."""
        try:
            await call
        except MatrixCallError as exc:
            logs.warning("courtesy_call_failed", call=exc.call)

    async def _answer(
        self, inbound: Inbound, participant: Participant, replies: tuple[str, ...]
    ) -> None:
        expected = frozenset({self._config.matrix.bot_user_id, participant.matrix_id})
        expected |= participant.companions()
        for index, reply in enumerate(replies):
            txn = transaction_id(inbound.event_id, index)
            await self._sender.notice(inbound.room_id, reply, txn, expected)
