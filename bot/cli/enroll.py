"""``samtal enroll``: add a participant; works with the gateway up or down."""

from __future__ import annotations

import asyncio

from bot.config import samtal_home
from bot.core.transport_names import TELEGRAM_PREFIX
from bot.ids import participant_code
from bot.participants.enrolment import enroll, invite_on_telegram


def run_enroll(matrix_id: str, language: str, mediator: str | None, schedule: str | None) -> int:
    if matrix_id.startswith(TELEGRAM_PREFIX):
        return _invite_on_telegram(matrix_id, language, mediator, schedule)
    participant = enroll(samtal_home(), matrix_id, language, mediator, schedule)
    when = f", check-ins {participant.schedule}" if participant.schedule else ""
    print(f"enrolled {participant_code(participant.pseudonym)} (language {language}{when})")
    print("They can now start an encrypted chat with the bot.")
    return 0


def _invite_on_telegram(
    target: str, language: str, mediator: str | None, schedule: str | None
) -> int:
    invitation = asyncio.run(
        invite_on_telegram(samtal_home(), target, language, mediator, schedule)
    )
    print("Give the participant this one-time link; it works for their account only, once,")
    print("for seven days. Enrolment completes when they press Start.")
    if invitation.link is not None:
        print(f"  {invitation.link}")
    else:
        print(
            f"  Telegram could not be asked for the bot's name: they send /start {invitation.code}"
        )
    print("Chats with bots on Telegram are not end-to-end encrypted; the consent text tells them.")
    return 0
