"""action_flag_risk: the first step of every safety path.

It emits one ``risk_flag`` effect (level and signal categories, never text);
the rules then say the words for that level. What triggered it:

- an NLU risk intent (risk_imminent, risk_self_harm, risk_harm_other,
  victim_location);
- ``EXTERNAL_risk_detected`` from the gateway's safety screen, with the
  level in the ``risk_level`` slot (from its entity);
- a check-in answer that did not clearly say no to the harm question
  (``harm_disclosed``).
"""

from __future__ import annotations

import logging
from typing import Any, Final

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from dialogues.actions import effects, gateway
from dialogues.actions.checkin import DISCLOSED_SLOT
from dialogues.actions.slot_mappings import DEFAULT_RISK_LEVEL, RISK_LEVELS

logger = logging.getLogger(__name__)

EXTERNAL_RISK: Final = "EXTERNAL_risk_detected"
# NLU intent -> (level, signal)
INTENT_RISK: Final = {
    "risk_imminent": ("imminent", "imminent_danger"),
    "risk_self_harm": ("high", "self_harm_thoughts"),
    "risk_harm_other": ("high", "harm_to_others"),
    "victim_location": ("high", "victim_location_request"),
}
DISCLOSED_RISK: Final = ("high", "harm_thoughts_disclosed")


def assess(intent: str | None, risk_level: Any, disclosed: bool) -> tuple[str, str]:
    """The level and signal for what brought the dialogue here."""
    if intent in INTENT_RISK:
        return INTENT_RISK[intent]
    if intent == EXTERNAL_RISK:
        level = risk_level if risk_level in RISK_LEVELS else DEFAULT_RISK_LEVEL
        return level, "safety_screen"
    if disclosed:
        return DISCLOSED_RISK
    return DEFAULT_RISK_LEVEL, "dialogue_risk"


class ActionFlagRisk(Action):
    def name(self) -> str:
        return "action_flag_risk"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        logger.debug("running %s", self.name())
        level, signal = assess(
            gateway.latest_intent(tracker),
            tracker.get_slot("risk_level"),
            tracker.get_slot(DISCLOSED_SLOT) is True,
        )
        effects.emit(dispatcher, effects.risk_flag(level, [signal]))
        return []
