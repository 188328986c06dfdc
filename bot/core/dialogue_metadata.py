"""What the dialogue is told with each message and at each session start."""

from __future__ import annotations

from datetime import tzinfo

from bot.core.model import Participant
from bot.core.schedule import Schedule, describe
from safety.consent_terms import ConsentTerms


def dialogue_metadata(
    participant: Participant,
    language: str,
    now: float,
    *,
    consent_version: str,
    zone: tzinfo,
    consent_terms: ConsentTerms | None = None,
) -> dict[str, object]:
    metadata: dict[str, object] = {
        "language": language,
        "consented": participant.has_consented(consent_version),
        "consent_version": consent_version,
    }
    if consent_terms is not None:
        # What the consent text promises follows the configuration (safety.consent_terms).
        metadata["consent_terms"] = consent_terms.to_metadata()
    if participant.schedule:
        upcoming = Schedule.parse(participant.schedule).next_after(now, zone)
        metadata["next_checkin"] = describe(upcoming, language)
    return metadata
