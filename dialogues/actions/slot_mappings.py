"""Fill slots from the gateway's metadata, and check the risk level entity.

Rasa runs ``action_validate_slot_mappings`` through action_extract_slots on
every user turn (external ones from trigger_intent included), before the
policies predict, so rules can rely on what it sets.
"""

from __future__ import annotations

import logging
from typing import Any, Final

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import ValidationAction
from rasa_sdk.types import DomainDict

from dialogues.actions import gateway

logger = logging.getLogger(__name__)

RISK_LEVELS: Final = ("elevated", "high", "imminent")
# an EXTERNAL_risk_detected without a known level is treated as high
DEFAULT_RISK_LEVEL: Final = "high"


def supported_languages(domain: DomainDict) -> list[str]:
    """Languages listed as values of the ``language`` slot in the domain."""
    slot = domain.get("slots", {}).get("language", {})
    values = slot.get("values", []) if isinstance(slot, dict) else []
    return [str(v) for v in values if not str(v).startswith("__")]


def values_from_metadata(meta: dict[str, Any], domain: DomainDict) -> dict[str, Any]:
    """The slot values the gateway's metadata sets (only keys it sent)."""
    values: dict[str, Any] = {}
    if "language" in meta:
        raw = meta["language"]
        # an unsupported language leaves the slot empty: responses then use
        # their unconditioned (Swedish) variation
        values["language"] = (
            raw if isinstance(raw, str) and raw in supported_languages(domain) else None
        )
    if isinstance(meta.get("consented"), bool):
        values["consented"] = meta["consented"]
    if "next_checkin" in meta:
        raw = meta["next_checkin"]
        values["next_checkin"] = raw if isinstance(raw, str) and raw.strip() else None
    return values


class ActionValidateSlotMappings(ValidationAction):
    """Sets language, consent and the next check-in time; returns only changes."""

    def name(self) -> str:
        return "action_validate_slot_mappings"

    def _changed(self, slot: str, tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        logger.debug("%s: %s", self.name(), slot)
        values = values_from_metadata(gateway.metadata(tracker), domain)
        if slot not in values and not gateway.set_in_this_session(tracker, slot):
            # an external turn (trigger_intent) carries no metadata: until
            # something in this session set the slot, the metadata the gateway
            # started the session with holds
            values = values_from_metadata(gateway.session_metadata(tracker), domain)
        if slot not in values or values[slot] == tracker.get_slot(slot):
            return {}
        return {slot: values[slot]}

    async def extract_language(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._changed("language", tracker, domain)

    async def extract_consented(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._changed("consented", tracker, domain)

    async def extract_next_checkin(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._changed("next_checkin", tracker, domain)

    def validate_language(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        return {"language": slot_value}

    def validate_consented(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        return {"consented": slot_value}

    def validate_next_checkin(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        return {"next_checkin": slot_value}

    def validate_risk_level(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        """The level from EXTERNAL_risk_detected; anything unknown counts as high."""
        return {"risk_level": slot_value if slot_value in RISK_LEVELS else DEFAULT_RISK_LEVEL}
