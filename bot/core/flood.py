"""A participant who writes faster than the bot can answer.

Every message is still screened, paged if it must be, and kept in the turn ledger
(nothing is lost). What is bounded is the dialogue's work: when a room's turn
comes up with a long queue of the participant's later messages behind it, an
ordinary message is not put to the dialogue on its own, and the participant is
asked once, calmly, to slow down. The decision is taken when the turn is
answered, not when it arrives, so the newest message of a burst, with nothing
behind it, always reaches the dialogue (a request for a person at the end of a
burst is heard). A message with any risk in it is always answered in full.
"""

from __future__ import annotations

from enum import Enum

from safety.risk.levels import RiskLevel

# Turns queued behind this one in its room before an ordinary message stops going
# to the dialogue: a person typing quickly sends two or three lines in a row, a
# flood sends hundreds.
BACKLOG_LIMIT = 5


class Arrival(Enum):
    ANSWER = "answer"  # a turn like any other
    SLOW_DOWN = "slow_down"  # kept, not put to the dialogue; the participant is asked once
    QUIET = "quiet"  # kept, not put to the dialogue; already asked during this backlog


def when_answering(behind: int, level: RiskLevel, asked_already: bool) -> Arrival:
    """What to do with a turn whose answer is due, given the turns queued behind it."""
    if level is not RiskLevel.NONE or behind < BACKLOG_LIMIT:
        return Arrival.ANSWER
    return Arrival.QUIET if asked_already else Arrival.SLOW_DOWN
