"""What a sync delivers is queued by kind; nothing but text is read out of an event."""

from __future__ import annotations

from typing import Any

from nio import AsyncClient, Event, MatrixRoom

from bot.core.kinds import Kind
from bot.transports.matrix.intake import Intake

BOT = "@samtal:localhost"
ALICE = "@alice:localhost"
GEO = "geo:59.3293,18.0686"


def event(event_type: str, content: dict[str, Any], n: int = 1, **extra: Any) -> Any:
    return Event.parse_event(
        {
            "type": event_type,
            "content": content,
            "event_id": f"$e{n}",
            "sender": ALICE,
            "origin_server_ts": 1000 + n,
            **extra,
        }
    )


def intake() -> tuple[Intake, MatrixRoom]:
    room = MatrixRoom("!r:localhost", BOT)
    room.encrypted = True
    return Intake(AsyncClient("http://localhost", BOT), BOT), room


def test_text_and_emote_are_read_as_text() -> None:
    queue, room = intake()
    queue.take(room, event("m.room.message", {"msgtype": "m.text", "body": "hej"}, 1))
    queue.take(room, event("m.room.message", {"msgtype": "m.emote", "body": "suckar"}, 2))
    assert [(m.kind, m.text) for m in queue.batch.messages] == [
        (Kind.TEXT, "hej"),
        (Kind.TEXT, "suckar"),
    ]


def test_media_location_sticker_and_poll_are_queued_without_their_content() -> None:
    queue, room = intake()
    queue.take(
        room,
        event("m.room.message", {"msgtype": "m.image", "body": "barn.jpg", "url": "mxc://x/a"}, 1),
    )
    queue.take(
        room, event("m.room.message", {"msgtype": "m.audio", "body": "röst", "url": "mxc://x/b"}, 2)
    )
    queue.take(
        room, event("m.room.message", {"msgtype": "m.location", "body": GEO, "geo_uri": GEO}, 3)
    )
    # An encrypted sticker has "file", not "url": nio calls it a bad event.
    queue.take(room, event("m.sticker", {"body": "arg", "file": {"url": "mxc://x/c"}}, 4))
    queue.take(room, event("org.matrix.msc3381.poll.start", {"body": "fråga"}, 5))
    queue.take(room, event("m.poll.start", {"body": "fråga"}, 6))
    kinds = [m.kind for m in queue.batch.messages]
    assert kinds == [Kind.MEDIA, Kind.MEDIA, Kind.LOCATION, Kind.MEDIA, Kind.POLL, Kind.POLL]
    assert all(m.text == "" for m in queue.batch.messages)
    assert [m.event_id for m in queue.batch.messages] == [f"$e{n}" for n in range(1, 7)]


def test_a_caption_is_read_as_text_and_a_file_name_never() -> None:
    # Matrix 1.10 (MSC2530): a body that differs from `filename`, or one with a
    # formatted_body, is a caption; otherwise the body is the file's name.
    queue, room = intake()
    image = {"msgtype": "m.image", "url": "mxc://x/a"}
    sent: list[dict[str, Any]] = [
        {**image, "body": "jag ska döda henne ikväll", "filename": "barn.jpg"},
        {**image, "body": "barn.jpg", "filename": "barn.jpg"},
        {**image, "body": "barn.jpg"},
        {
            "msgtype": "m.file",
            "url": "mxc://x/f",
            "body": "till henne",
            "format": "org.matrix.custom.html",
            "formatted_body": "<b>till henne</b>",
        },
        {
            "msgtype": "m.video",
            "url": "mxc://x/v",
            "body": "* kniven",
            "m.new_content": {"msgtype": "m.video", "body": "kniven", "filename": "v.mp4"},
            "m.relates_to": {"rel_type": "m.replace", "event_id": "$e1"},
        },
    ]
    for n, content in enumerate(sent, 1):
        queue.take(room, event("m.room.message", content, n))
    # Marked as a caption, so a caption in a staff room is never run as a command.
    assert [(m.kind, m.text, m.replaces, m.caption) for m in queue.batch.messages] == [
        (Kind.TEXT, "jag ska döda henne ikväll", None, True),
        (Kind.MEDIA, "", None, False),
        (Kind.MEDIA, "", None, False),
        (Kind.TEXT, "till henne", None, True),
        (Kind.TEXT, "kniven", "$e1", True),
    ]
    assert not any("barn.jpg" in repr(m) or "mxc" in repr(m) for m in queue.batch.messages)


def test_typed_text_is_no_caption() -> None:
    # Only a caption is kept from staff commands; typed text in a desk stays a command.
    queue, room = intake()
    queue.take(room, event("m.room.message", {"msgtype": "m.text", "body": "!close E-1"}, 1))
    [message] = queue.batch.messages
    assert (message.kind, message.text, message.caption) == (Kind.TEXT, "!close E-1", False)


def test_reactions_redactions_state_and_own_events_are_not_turns() -> None:
    queue, room = intake()
    relation = {"m.relates_to": {"rel_type": "m.annotation", "event_id": "$x", "key": "👍"}}
    queue.take(room, event("m.reaction", relation, 1))
    queue.take(room, event("m.room.redaction", {}, 2, redacts="$x"))
    queue.take(room, event("m.room.topic", {"topic": "t"}, 3, state_key=""))
    own = Event.parse_event(
        {
            "type": "m.room.message",
            "content": {"msgtype": "m.text", "body": "svar"},
            "event_id": "$own",
            "sender": BOT,
            "origin_server_ts": 1,
        }
    )
    queue.take(room, own)
    assert queue.batch.messages == []
    assert [r.key for r in queue.batch.reactions] == ["👍"]


def test_backfilled_events_go_ahead_of_the_batch() -> None:
    queue, room = intake()
    queue.take(room, event("m.room.message", {"msgtype": "m.text", "body": "sist"}, 9))
    queue.take_earlier(
        room,
        [
            event("m.room.message", {"msgtype": "m.text", "body": t}, n)
            for n, t in ((1, "a"), (2, "b"))
        ],
    )
    assert [m.text for m in queue.batch.messages] == ["a", "b", "sist"]


def test_a_malformed_text_message_is_still_screened() -> None:
    # nio calls it a bad event (formatted_body is not a string); the body is still the
    # participant's own words, and every message is screened.
    queue, room = intake()
    content = {"msgtype": "m.text", "body": "döda henne", "formatted_body": 5}
    queue.take(room, event("m.room.message", content, 1))
    assert [(m.kind, m.text) for m in queue.batch.messages] == [(Kind.TEXT, "döda henne")]


def test_a_malformed_text_message_without_words_is_not_a_turn() -> None:
    queue, room = intake()
    queue.take(room, event("m.room.message", {"msgtype": "m.text", "body": 5}, 1))
    queue.take(room, event("m.room.message", {"msgtype": ["m.text"]}, 2))
    assert [m.kind for m in queue.batch.messages] == [Kind.MEDIA]


def test_a_lone_surrogate_reaches_the_pipeline_as_a_replacement_character() -> None:
    queue, room = intake()
    queue.take(room, event("m.room.message", {"msgtype": "m.text", "body": "\ud800 hej"}, 1))
    assert [m.text for m in queue.batch.messages] == ["\ufffd hej"]


def test_a_timestamp_no_integer_can_hold_is_read_as_zero() -> None:
    queue, room = intake()
    queue.take(room, event("m.sticker", {"body": "x", "url": 5}, 1, origin_server_ts=1e400))
    assert [(m.kind, m.timestamp_ms) for m in queue.batch.messages] == [(Kind.MEDIA, 0)]
