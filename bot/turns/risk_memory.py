"""What the gateway remembers between messages for safety's sake.

High risk seen (a missed check-in soon after pages), elevated risk (kept for
the mediators' digest), a conversation under way (a scheduled check-in waits),
and each check-in's mood and finish (the trend rule: falling mood over three
check-ins is elevated risk itself, the same rule ``assess`` uses).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping

from bot import logs
from bot.core.checkins import completed, high_risk_seen, message_seen, mood_answered
from bot.core.model import Participant
from bot.state.checkins import CheckinStore
from bot.state.digest import DigestStore
from safety.risk.context import RiskContext, context_signals
from safety.risk.levels import RiskLevel


class RiskMemory:
    def __init__(self, checkins: CheckinStore, digest: DigestStore) -> None:
        self._checkins = checkins
        self._digest = digest

    def message(
        self, participant: Participant, level: RiskLevel, signals: Iterable[str] = ()
    ) -> None:
        """Never raises: remembering must not fail a turn (and so replay its page)."""
        try:
            self._message(participant, level, signals)
        except Exception as exc:
            logs.warning("risk_memory_failed", error=type(exc).__name__)

    def effects(self, participant: Participant, effects: Iterable[Mapping[str, object]]) -> None:
        """Mood answers and a finished check-in. Never raises, like ``message``."""
        try:
            self._effects(participant, effects)
        except Exception as exc:
            logs.warning("risk_memory_failed", error=type(exc).__name__)

    def checkin_missed(self, participant: Participant) -> None:
        """A missed check-in without recent high risk pages nobody; the mediators
        see it in the digest. Never raises."""
        try:
            self._digest.note(participant.pseudonym, ("missed_checkin",), time.time())
        except Exception as exc:
            logs.warning("risk_memory_failed", error=type(exc).__name__)

    def noted(self, participant: Participant, signal: str) -> None:
        """Something for the mediator's digest that is no risk level of its own (a shared
        location). Only the signal's name is kept. Never raises."""
        try:
            self._digest.note(participant.pseudonym, (signal,), time.time())
        except Exception as exc:
            logs.warning("risk_memory_failed", error=type(exc).__name__)

    def _message(self, participant: Participant, level: RiskLevel, signals: Iterable[str]) -> None:
        now = time.time()
        state, _ = self._checkins.get(participant.pseudonym)
        state = message_seen(state, now)
        if level.rank >= RiskLevel.HIGH.rank:
            state = high_risk_seen(state, now)
        self._checkins.update(participant.pseudonym, state)
        if level == RiskLevel.ELEVATED:
            self._digest.note(participant.pseudonym, tuple(sorted(set(signals))), now)

    def _effects(self, participant: Participant, effects: Iterable[Mapping[str, object]]) -> None:
        state, _ = self._checkins.get(participant.pseudonym)
        finished = False
        for effect in effects:
            value = effect.get("value")
            if effect["type"] == "checkin_answer" and effect.get("question") == "mood":
                if isinstance(value, int):
                    state = mood_answered(state, value)
            elif effect["type"] == "checkin_completed":
                state = completed(state, time.time())
                finished = True
        self._checkins.update(participant.pseudonym, state)
        if not finished:
            return
        trend = context_signals(RiskContext(stress_scores=state.stress_scores))
        if trend:
            names = tuple(sorted(s.category for s in trend))
            self._digest.note(participant.pseudonym, names, time.time())
            # Which trend stays in the sealed digest; the log only says one was noted.
            logs.event("risk_trend_noted", participant=participant.pseudonym)
