"""The bot speaks first: a fresh Rasa session, then an intent the gateway names.

A scheduled check-in opens with the dialogue's check-in intent; a chat the bot
opened for a newly enrolled participant opens with a greeting, which leads the
dialogue into its consent exchange."""

from __future__ import annotations

from bot import logs
from bot.config import GatewayConfig
from bot.core.dialogue_metadata import dialogue_metadata
from bot.core.effects import EffectValidator
from bot.core.model import Participant
from bot.core.replies import plan_replies
from bot.errors import RasaUnavailable
from bot.rasa.client import RasaClient, RasaControl


async def open_in_dialogue(
    config: GatewayConfig,
    rasa: RasaClient,
    validator: EffectValidator,
    participant: Participant,
    intent: str,
    now: float,
) -> tuple[str, ...] | None:
    """The dialogue's opening replies, checked like any other; None when Rasa could
    not answer (the caller tries again later)."""
    dialogue = config.dialogue
    metadata = dialogue_metadata(
        participant,
        participant.language,
        now,
        consent_version=dialogue.consent_version,
        zone=dialogue.zone,
        consent_terms=config.consent_terms,
    )
    control = RasaControl(rasa)
    try:
        # The metadata goes into the new session's slot: the intent triggered next
        # carries none of its own, and the dialogue (the consent text's terms, the
        # language) reads it from there.
        await control.start_session(participant.pseudonym, metadata)
        messages = await control.trigger_intent(participant.pseudonym, intent, {})
    except RasaUnavailable as exc:
        logs.warning("dialogue_opening_failed", participant=participant.pseudonym, error=str(exc))
        return None
    plan = plan_replies(
        messages,
        consented=participant.has_consented(dialogue.consent_version),
        consent_version=dialogue.consent_version,
        validate_effects=validator,
    )
    if not plan.replies:
        logs.warning("dialogue_opening_empty", participant=participant.pseudonym)
        return None
    return plan.replies
