"""The safety screen wired into the turn pipeline: the same ``assess`` as ``samtal screen``."""

from __future__ import annotations

import asyncio
import time

from bot import logs
from bot.core.model import Inbound, Participant
from safety.risk.assess import assess, warm_up
from safety.risk.context import RiskContext
from safety.risk.levels import Assessment


class RiskScreen:
    """Screens every message before, and independently of, the dialogue."""

    def __init__(self) -> None:
        warm_up()  # compile patterns, load the encoder and heads before the first message

    async def screen(self, inbound: Inbound, participant: Participant, language: str) -> Assessment:
        # The encoder takes milliseconds of CPU; a worker thread keeps the sync loop
        # and the pages of other participants moving meanwhile.
        started = time.perf_counter()
        assessment = await asyncio.to_thread(assess, inbound.text, RiskContext(language=language))
        logs.event(
            "message_screened",
            participant=participant.pseudonym,
            ms=round((time.perf_counter() - started) * 1000, 1),
        )
        # The level is counted for the metrics, never logged: beside the pseudonym it would
        # tie a risk judgement to a person in a file operators read (docs/privacy.md).
        logs.tally("risk_screened", risk=assessment.level.value)
        return assessment
