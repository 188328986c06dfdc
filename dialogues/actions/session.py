"""action_session_start: a new session keeps what the gateway says.

When Rasa starts a session itself (new or expired), slots are not carried
over, so this action sets language, consent and the next check-in time from
the metadata that came with the session start. The gateway's own session starts
(every check-in, and the greeting of a new participant) append the same events
with the metadata in the ``session_started_metadata`` slot, then trigger an
intent, which carries no metadata of its own.
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
