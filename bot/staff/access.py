"""Looks up what the authorisation matrix needs: a person's roles, and how a code's
participant or page relates to them. The decision itself is bot.core.authorisation."""

from __future__ import annotations

from bot.config import GatewayConfig
from bot.core.authorisation import Ownership, Role
from bot.core.model import Participant
from bot.escalation.engine import EscalationEngine
from bot.state.participants import ParticipantRegistry
from safety.escalation.record import Escalation


class StaffAccess:
    def __init__(
        self, config: GatewayConfig, registry: ParticipantRegistry, engine: EscalationEngine
    ) -> None:
        self._config = config
        self._registry = registry
        self._engine = engine

    def roles_of(self, person: str) -> frozenset[Role]:
        roles = set()
        if person in self._config.matrix.mediators:
            roles.add(Role.MEDIATOR)
        if person in self._config.escalation.on_call:
            roles.add(Role.ON_CALL)
        if person in self._config.escalation.supervisors:
            roles.add(Role.SUPERVISOR)
        return frozenset(roles)

    def participant(self, code: str) -> Participant | None:
        return self._registry.by_code(code) if code.startswith("P-") else None

    def of_participant(self, participant: Participant | None, person: str) -> Ownership:
        if participant is None:
            return Ownership.UNKNOWN
        if participant.mediator == person:
            return Ownership.OWN
        routed = any(
            self._engine.reached(esc, person)
            for esc in self._engine.unresolved_for(participant.pseudonym)
        )
        return Ownership.ROUTED if routed else Ownership.OTHER

    def of_page(self, esc: Escalation | None, person: str) -> Ownership:
        if esc is None:
            return Ownership.UNKNOWN
        participant = self._registry.get(esc.participant)
        if participant is not None and participant.mediator == person:
            return Ownership.OWN
        return Ownership.ROUTED if self._engine.reached(esc, person) else Ownership.OTHER

    def routed_participants(self, person: str) -> set[str]:
        """Pseudonyms with an unresolved page that reached ``person``."""
        return {
            esc.participant
            for esc in self._engine.unresolved()
            if self._engine.reached(esc, person)
        }
