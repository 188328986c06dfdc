"""What the dialogue is told with each message and at each session start."""

from __future__ import annotations

from bot.core.model import Participant
from bot.core.schedule import Schedule, describe


def dialogue_metadata(
    participant: Participant,
    language: str,
    now: float,
    *,
    consent_version: str,
    utc_offset_minutes: int,
) -> dict[str, object]:
    metadata: dict[str, object] = {
        "language": language,
        "consented": participant.has_consented(consent_version),
        "consent_version": consent_version,
    }
    if participant.schedule:
        upcoming = Schedule.parse(participant.schedule).next_after(now, utc_offset_minutes)
        metadata["next_checkin"] = describe(upcoming, language)
    return metadata
