"""The first steps of the turn pipeline: should this message be handled at all?

Order matters: dedupe, enrolment, room safety, then the
message may go on to the safety screen and the dialogue.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from bot.core.kinds import Kind
from bot.core.model import Inbound, Participant


class Skip(Enum):
    OWN_EVENT = "own_event"
    DUPLICATE = "duplicate"
    NOT_ENROLLED = "not_enrolled"
    EMPTY = "empty"


class Refuse(Enum):
    UNENCRYPTED_ROOM = "unencrypted_room"
    OTHERS_IN_ROOM = "others_in_room"


@dataclass(frozen=True)
class Handle:
    """Go on: screen the message, then ask the dialogue."""

    participant: Participant
    language: str


Decision = Skip | Refuse | Handle


def decide(
    inbound: Inbound,
    *,
    own_ids: frozenset[str],
    participant: Participant | None,
    already_handled: bool,
    allowed_companions: frozenset[str],
    language: str,
) -> Decision:
    if inbound.sender in own_ids:
        return Skip.OWN_EVENT
    if already_handled:
        return Skip.DUPLICATE
    if participant is None:
        return Skip.NOT_ENROLLED
    if not inbound.room_encrypted and inbound.encryptable:
        return Refuse.UNENCRYPTED_ROOM
    expected = own_ids | {participant.matrix_id} | allowed_companions
    if not inbound.room_members <= expected:
        return Refuse.OTHERS_IN_ROOM
    if inbound.kind is Kind.TEXT and not inbound.text.strip():
        return Skip.EMPTY
    return Handle(participant=participant, language=language)
