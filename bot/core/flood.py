"""A participant who writes faster than the bot can answer.

Every message is still screened, paged if it must be, and kept in the turn ledger
(nothing is lost). What is bounded is the dialogue's work: once a room has a
backlog of turns waiting, an ordinary message is not put to the dialogue on its
own, and the participant is asked once, calmly, to slow down. A high or imminent
message is always answered in full, however long the queue.
"""

from __future__ import annotations

from enum import Enum

from safety.risk.levels import RiskLevel

# Turns waiting in one room before new ordinary messages stop going to the dialogue:
# a person typing quickly sends two or three lines in a row, a flood sends hundreds.
BACKLOG_LIMIT = 5


class Arrival(Enum):
    ANSWER = "answer"  # a turn like any other
    SLOW_DOWN = "slow_down"  # kept, not put to the dialogue; the participant is asked once
    QUIET = "quiet"  # kept, not put to the dialogue; already asked during this backlog


def on_arrival(backlog: int, level: RiskLevel, asked_already: bool) -> Arrival:
    """What to do with a new message, given the turns already waiting in its room."""
    if level in (RiskLevel.HIGH, RiskLevel.IMMINENT) or backlog < BACKLOG_LIMIT:
        return Arrival.ANSWER
    return Arrival.QUIET if asked_already else Arrival.SLOW_DOWN
