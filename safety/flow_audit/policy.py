"""The names the audit relies on: intents, actions, slots of the samtal dialogue."""

from __future__ import annotations

from typing import Final

CONSENT_SLOT: Final = "consented"
LANGUAGE_SLOT: Final = "language"
RISK_LEVEL_SLOT: Final = "risk_level"
DISCLOSED_SLOT: Final = "harm_disclosed"

CHECKIN_START: Final = "action_start_checkin"
DEACTIVATE: Final = "action_deactivate_loop"
DEFAULT_ACTIONS: Final = frozenset(
    {"action_listen", "action_deactivate_loop", "action_default_fallback", "action_restart"}
)
FALLBACK_INTENT: Final = "nlu_fallback"
AFFIRM: Final = "affirm"

WITHDRAW_INTENT: Final = "withdraw_consent"
WITHDRAW_CONFIRM: Final = "utter_ask_confirm_withdraw"
RISK_INTENTS: Final = (
    "risk_imminent",
    "risk_self_harm",
    "risk_harm_other",
    "victim_location",
    "EXTERNAL_risk_detected",
)
EXTERNAL_RISK: Final = "EXTERNAL_risk_detected"
IMMINENT_INTENT: Final = "risk_imminent"
IMMINENT_LEVEL: Final = "imminent"
EMERGENCY_NUMBER: Final = "112"
LEVELS: Final = ("elevated", "high", "imminent")

# effect types, as in dialogues/effects.schema.json
CONSENT_GIVEN: Final = "consent_given"
CONSENT_ENDED: Final = frozenset({"consent_withdrawn", "consent_declined"})
WITHDRAWN: Final = "consent_withdrawn"
RISK_FLAG: Final = "risk_flag"
QUESTION: Final = "checkin_question"

MIN_EXAMPLES: Final = 25
