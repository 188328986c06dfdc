"""``samtal enroll``: add a participant; works with the gateway up or down."""

from __future__ import annotations

from bot.config import samtal_home
from bot.enrolment import enroll
from bot.ids import participant_code


def run_enroll(matrix_id: str, language: str, mediator: str | None) -> int:
    participant = enroll(samtal_home(), matrix_id, language, mediator)
    print(f"enrolled {participant_code(participant.pseudonym)} (language {language})")
    print("They can now start an encrypted chat with the bot.")
    return 0
