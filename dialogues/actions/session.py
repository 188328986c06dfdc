"""action_session_start: a new session keeps what the gateway says.

The gateway starts every check-in in a fresh session (``/session_start``
through the REST channel, then ``EXTERNAL_checkin_due`` through
trigger_intent, which carries no metadata). Slots are not carried over, so
this action sets language, consent and the next check-in time from the
metadata that came with the session start.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from dialogues.actions import gateway
from dialogues.actions.slot_mappings import values_from_metadata

logger = logging.getLogger(__name__)


class ActionSessionStart(Action):
    def name(self) -> str:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        logger.debug("running %s", self.name())
        values = values_from_metadata(gateway.session_metadata(tracker), domain)
        return [
            SessionStarted(),
            *(SlotSet(slot, value) for slot, value in values.items() if value is not None),
            ActionExecuted("action_listen"),
        ]
