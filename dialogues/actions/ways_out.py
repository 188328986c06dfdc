"""Ways out that work from any state: pause, resume, deletion, a human, language.

Withdrawal of consent lives in ``consent``. Deletion and withdrawal run only
after the participant confirmed (the rules ask first).
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from typing import Any, Final

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from dialogues.actions import effects, gateway
from dialogues.actions.checkin import clear_answers
from dialogues.actions.slot_mappings import supported_languages

logger = logging.getLogger(__name__)

LANGUAGE_ENTITY: Final = "lang"


class ActionPause(Action):
    """Emits ``paused``; a check-in left half-way is dropped."""

    def name(self) -> str:
        return "action_pause"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        logger.debug("running %s", self.name())
        effects.emit(dispatcher, effects.paused())
        return clear_answers()


class ActionResume(Action):
    def name(self) -> str:
        return "action_resume"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        logger.debug("running %s", self.name())
        effects.emit(dispatcher, effects.resumed())
        return []


class ActionRequestDeletion(Action):
    """After a confirmed "delete my data": consent ends and deletion is requested."""

    def name(self) -> str:
        return "action_request_deletion"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        logger.debug("running %s", self.name())
        effects.emit(dispatcher, effects.consent_withdrawn(), effects.deletion_requested())
        return [SlotSet("consented", False), *clear_answers()]


class ActionHandoff(Action, ABC):
    """Asks the gateway to bring in a human; the reason names the path here."""

    reason: str = ""

    @abstractmethod
    def name(self) -> str: ...

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        logger.debug("running %s", self.name())
        effects.emit(dispatcher, effects.handoff_requested(self.reason))
        return []


class ActionHandoffAsked(ActionHandoff):
    reason = "participant_asked"

    def name(self) -> str:
        return "action_handoff_asked"


class ActionHandoffMisunderstood(ActionHandoff):
    reason = "repeated_misunderstanding"

    def name(self) -> str:
        return "action_handoff_misunderstood"


class ActionHandoffDistress(ActionHandoff):
    reason = "distress"

    def name(self) -> str:
        return "action_handoff_distress"


class ActionHandoffRisk(ActionHandoff):
    reason = "risk"

    def name(self) -> str:
        return "action_handoff_risk"


def target_language(named: str | None, current: str, supported: list[str]) -> str | None:
    """The language asked for, else the next supported one after ``current``."""
    if named in supported:
        return named
    if not supported:
        return None
    if current not in supported:
        return supported[0]
    return supported[(supported.index(current) + 1) % len(supported)]


class ActionChangeLanguage(Action):
    """Switches the conversation's language and tells the gateway."""

    def name(self) -> str:
        return "action_change_language"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        logger.debug("running %s", self.name())
        language = target_language(
            gateway.latest_entity(tracker, LANGUAGE_ENTITY),
            gateway.language(tracker),
            supported_languages(domain),
        )
        if language is None:
            return []
        effects.emit(dispatcher, effects.language_changed(language))
        return [SlotSet("language", language)]
