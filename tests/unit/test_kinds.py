"""Every kind of event a phone sends is named, and only text is read."""

from __future__ import annotations

import pytest

from bot.core.decide import Handle, Skip, decide
from bot.core.kinds import (
    EXPLAIN_EVERY_SECONDS,
    NOT_READ,
    Kind,
    explain_due,
    kind_of,
    read_as,
)
from bot.core.model import Inbound, Participant
from bot.ids import EventId, MatrixUserId, ParticipantId, RoomId

BOT = "@samtal:localhost"
ALICE = "@alice:localhost"


@pytest.mark.parametrize(
    ("event_type", "content", "expected"),
    [
        ("m.room.message", {"msgtype": "m.text", "body": "hej"}, Kind.TEXT),
        ("m.room.message", {"msgtype": "m.emote", "body": "suckar"}, Kind.TEXT),
        ("m.room.message", {"msgtype": "m.notice", "body": "hej"}, Kind.TEXT),
        ("m.room.message", {"msgtype": "m.image", "body": "a.jpg"}, Kind.MEDIA),
        ("m.room.message", {"msgtype": "m.file", "body": "a.pdf"}, Kind.MEDIA),
        ("m.room.message", {"msgtype": "m.audio", "body": "voice"}, Kind.MEDIA),
        ("m.room.message", {"msgtype": "m.video", "body": "v.mp4"}, Kind.MEDIA),
        ("m.room.message", {"msgtype": "com.example.custom"}, Kind.MEDIA),
        ("m.room.message", {"msgtype": ["m.text"], "body": "hej"}, Kind.MEDIA),
        ("m.room.message", {"msgtype": {"m.text": 1}}, Kind.MEDIA),
        ("m.room.message", {"msgtype": "m.location", "geo_uri": "geo:1,2"}, Kind.LOCATION),
        ("m.sticker", {"body": "😀", "url": "mxc://x/y"}, Kind.MEDIA),
        ("m.poll.start", {}, Kind.POLL),
        ("org.matrix.msc3381.poll.start", {}, Kind.POLL),
        ("m.reaction", {}, Kind.REACTION),
        ("m.room.redaction", {}, Kind.REDACTION),
        ("m.call.invite", {}, Kind.OTHER),
        ("com.example.whatever", {}, Kind.OTHER),
    ],
)
def test_kind_of_each_event(event_type: str, content: dict[str, object], expected: Kind) -> None:
    assert kind_of(event_type, content) is expected


def test_only_media_locations_and_polls_get_the_text_only_answer() -> None:
    assert NOT_READ == {Kind.MEDIA, Kind.LOCATION, Kind.POLL}


def test_media_with_a_caption_is_read_as_text_and_nothing_else_changes() -> None:
    assert read_as(Kind.MEDIA, "kniven är till henne") is Kind.TEXT
    assert read_as(Kind.MEDIA, None) is Kind.MEDIA
    assert read_as(Kind.MEDIA, " \n") is Kind.MEDIA
    for kind in (Kind.LOCATION, Kind.POLL, Kind.OTHER, Kind.TEXT):
        assert read_as(kind, "ord") is kind


def test_a_burst_is_explained_once() -> None:
    assert explain_due(None, 1000.0)
    assert not explain_due(1000.0, 1000.0 + EXPLAIN_EVERY_SECONDS - 1)
    assert explain_due(1000.0, 1000.0 + EXPLAIN_EVERY_SECONDS)


def _inbound(kind: Kind, text: str) -> Inbound:
    return Inbound(
        event_id=EventId("$e"),
        sender=MatrixUserId(ALICE),
        room_id=RoomId("!r:localhost"),
        text=text,
        room_encrypted=True,
        room_members=frozenset({BOT, ALICE}),
        timestamp_ms=1,
        kind=kind,
    )


PARTICIPANT = Participant(
    pseudonym=ParticipantId("pabc"), matrix_id=MatrixUserId(ALICE), language="sv"
)


def _decide(message: Inbound) -> object:
    return decide(
        message,
        own_ids=frozenset({BOT}),
        participant=PARTICIPANT,
        already_handled=False,
        allowed_companions=frozenset(),
        language="sv",
    )


def test_a_photo_without_text_is_handled_but_an_empty_text_is_skipped() -> None:
    assert isinstance(_decide(_inbound(Kind.MEDIA, "")), Handle)
    assert _decide(_inbound(Kind.TEXT, "  ")) is Skip.EMPTY
