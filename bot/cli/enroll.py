"""``samtal enroll``: add a participant; works with the gateway up or down."""

from __future__ import annotations

from bot.config import samtal_home
from bot.ids import participant_code
from bot.participants.enrolment import enroll


def run_enroll(matrix_id: str, language: str, mediator: str | None, schedule: str | None) -> int:
    participant = enroll(samtal_home(), matrix_id, language, mediator, schedule)
    when = f", check-ins {participant.schedule}" if participant.schedule else ""
    print(f"enrolled {participant_code(participant.pseudonym)} (language {language}{when})")
    print("They can now start an encrypted chat with the bot.")
    return 0
