"""Pause and resume contact ("sluta"/"stop", "start"/"fortsätt")."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from dialogues.actions import effects
from dialogues.actions.checkin import clear_answers

logger = logging.getLogger(__name__)


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
