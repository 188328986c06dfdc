"""What the dialogue is told with each message and at each session start."""

from __future__ import annotations

from datetime import tzinfo

from bot.core.model import Participant
from bot.core.schedule import Schedule, describe
from bot.core.transport_names import transport_of
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
        # On a messenger without end-to-end encryption, the text says so.
        terms = consent_terms.on(transport_of(participant.matrix_id))
        metadata["consent_terms"] = terms.to_metadata()
    if participant.schedule:
        upcoming = Schedule.parse(participant.schedule).next_after(now, zone)
        metadata["next_checkin"] = describe(upcoming, language)
    return metadata
