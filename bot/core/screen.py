"""The safety screen's place in the turn pipeline.

Every inbound message passes through a screen before the dialogue sees it, and
independently of it. The screen decides; acting on its decision (escalation)
is the escalation engine's job.
"""

from __future__ import annotations

from typing import Protocol

from bot.core.model import Inbound, Participant
from safety.risk.levels import Assessment


class SafetyScreen(Protocol):
    async def screen(
        self, inbound: Inbound, participant: Participant, language: str
    ) -> Assessment: ...
