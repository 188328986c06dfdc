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
        own_ids=frozenset({BOT}),
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


def test_a_telegram_chat_is_handled_unencrypted_and_only_with_the_two_of_them() -> None:
    telegram_bot, bob = "telegram:1000", "telegram:42"
    bob_enrolled = Participant(
        pseudonym=ParticipantId("pbob"), matrix_id=MatrixUserId(bob), language="en"
    )
    own = frozenset({BOT, telegram_bot})

    def chat(members: frozenset[str], encryptable: bool) -> Inbound:
        return Inbound(
            event_id=EventId("telegram:42:7"),
            sender=MatrixUserId(bob),
            room_id=RoomId(bob),
            text="hi",
            room_encrypted=False,
            room_members=members,
            timestamp_ms=1,
            encryptable=encryptable,
        )

    def decided(message: Inbound) -> object:
        return decide(
            message,
            own_ids=own,
            participant=bob_enrolled,
            already_handled=False,
            allowed_companions=frozenset(),
            language="en",
        )

    assert isinstance(decided(chat(frozenset({telegram_bot, bob}), False)), Handle)
    # A room that could be encrypted and is not is still refused.
    assert decided(chat(frozenset({telegram_bot, bob}), True)) is Refuse.UNENCRYPTED_ROOM
    assert decided(chat(frozenset({telegram_bot, bob, "telegram:7"}), False)) is (
        Refuse.OTHERS_IN_ROOM
    )
