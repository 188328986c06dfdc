from __future__ import annotations

from bot.core.decide import Handle, Refuse, Skip, decide
from bot.core.model import Inbound, Participant
from bot.ids import EventId, MatrixUserId, ParticipantId, RoomId

BOT = "@samtal:localhost"
ALICE = "@alice:localhost"


def inbound(
    sender: str = ALICE,
    *,
    encrypted: bool = True,
    members: frozenset[str] = frozenset({BOT, ALICE}),
    text: str = "hej",
) -> Inbound:
    return Inbound(
        event_id=EventId("$e1"),
        sender=MatrixUserId(sender),
        room_id=RoomId("!r:localhost"),
        text=text,
        room_encrypted=encrypted,
        room_members=members,
        timestamp_ms=1,
    )


PARTICIPANT = Participant(
    pseudonym=ParticipantId("pabc"), matrix_id=MatrixUserId(ALICE), language="sv"
)


def run(message: Inbound, participant: Participant | None = PARTICIPANT, handled: bool = False):
    return decide(
        message,
        bot_user_id=BOT,
        participant=participant,
        already_handled=handled,
        allowed_companions=frozenset(),
        language="sv",
    )


def test_own_events_are_skipped_first() -> None:
    assert run(inbound(sender=BOT)) is Skip.OWN_EVENT


def test_duplicates_are_skipped_before_anything_else() -> None:
    assert run(inbound(), handled=True) is Skip.DUPLICATE


def test_strangers_are_skipped() -> None:
    assert run(inbound(), participant=None) is Skip.NOT_ENROLLED


def test_unencrypted_room_is_refused() -> None:
    assert run(inbound(encrypted=False)) is Refuse.UNENCRYPTED_ROOM


def test_room_with_others_is_refused() -> None:
    crowded = inbound(members=frozenset({BOT, ALICE, "@eve:localhost"}))
    assert run(crowded) is Refuse.OTHERS_IN_ROOM


def test_blank_message_is_skipped() -> None:
    assert run(inbound(text="   ")) is Skip.EMPTY


def test_enrolled_participant_in_private_encrypted_room_is_handled() -> None:
    decision = run(inbound())
    assert isinstance(decision, Handle)
    assert decision.participant == PARTICIPANT
