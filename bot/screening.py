"""The safety screen wired into the turn pipeline: the same ``assess`` as ``samtal screen``."""

from __future__ import annotations

from bot import logs
from bot.core.model import Inbound, Participant
from safety.risk.assess import assess, warm_up
from safety.risk.context import RiskContext
from safety.risk.levels import Assessment


class RiskScreen:
    """Screens every message before, and independently of, the dialogue."""

    def __init__(self) -> None:
        warm_up()  # compile patterns and load the classifier before the first message

    async def screen(self, inbound: Inbound, participant: Participant, language: str) -> Assessment:
        assessment = assess(inbound.text, RiskContext(language=language))
        logs.event(
            "message_screened",
            participant=participant.pseudonym,
            risk=assessment.level.value,
            signals=",".join(sorted({s.category for s in assessment.signals})),
        )
        return assessment
