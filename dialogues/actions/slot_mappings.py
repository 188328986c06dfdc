"""Fill the ``language`` and ``consented`` slots from gateway metadata.

Rasa runs ``action_validate_slot_mappings`` through action_extract_slots on
every user turn, before the policies predict, so rules can rely on both.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import ValidationAction
from rasa_sdk.types import DomainDict

from dialogues.actions import gateway

logger = logging.getLogger(__name__)


def supported_languages(domain: DomainDict) -> list[str]:
    """Languages listed as values of the ``language`` slot in the domain."""
    slot = domain.get("slots", {}).get("language", {})
    values = slot.get("values", []) if isinstance(slot, dict) else []
    return [str(v) for v in values if not str(v).startswith("__")]


class ActionValidateSlotMappings(ValidationAction):
    """Sets language and consent from the gateway; returns only changes."""

    def name(self) -> str:
        return "action_validate_slot_mappings"

    async def extract_language(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        logger.debug("%s: language", self.name())
        meta = gateway.metadata(tracker)
        if "language" not in meta:
            return {}
        raw = meta["language"]
        # an unsupported language leaves the slot empty: responses then use
        # their unconditioned (Swedish) variation
        value = raw if isinstance(raw, str) and raw in supported_languages(domain) else None
        if value == tracker.get_slot("language"):
            return {}
        return {"language": value}

    async def extract_consented(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        logger.debug("%s: consented", self.name())
        raw = gateway.metadata(tracker).get("consented")
        if not isinstance(raw, bool) or raw == tracker.get_slot("consented"):
            return {}
        return {"consented": raw}

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
