"""Fuzzing intake: random Matrix event JSON, parsed by nio as a sync would, into the
gateway's intake. Nothing raises, and a message with text of the participant's own is
always queued to be screened, well-formed or not."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st
from nio import AsyncClient, Event, MatrixRoom

from bot.core.kinds import Kind
from bot.transports.matrix.intake import Intake

BOT = "@samtal:localhost"
ALICE = "@alice:localhost"
TYPES = [
    "m.room.message", "m.sticker", "m.poll.start", "org.matrix.msc3381.poll.start",
    "m.reaction", "m.room.redaction", "m.room.encrypted", "m.room.member", "m.call.invite",
    "m.room.topic", "x.custom",
]  # fmt: skip
MSGTYPES = ["m.text", "m.emote", "m.notice", "m.image", "m.file", "m.audio", "m.video",
            "m.location", "m.key.verification.request", "x.custom"]  # fmt: skip

any_char = st.characters(exclude_categories=())
scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(any_char, max_size=10)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=6,
)
relations = st.fixed_dictionaries(
    {},
    optional={
        "rel_type": st.sampled_from(["m.replace", "m.annotation", "m.thread"]) | values,
        "event_id": st.just("$orig") | values,
        "key": st.sampled_from(["✅", "👍"]) | values,
        "m.in_reply_to": st.fixed_dictionaries({"event_id": st.just("$q")}) | values,
    },
)
bodies = st.text(any_char, max_size=40) | st.sampled_from(
    ["> <@bob:x> quoted\n\nown words", "* edited", "\ud800 jag ska döda henne", ""]
)
contents = st.fixed_dictionaries(
    {},
    optional={
        "msgtype": st.sampled_from(MSGTYPES) | values,
        "body": bodies | values,
        "format": st.just("org.matrix.custom.html") | values,
        "formatted_body": st.text(max_size=10) | values,
        "m.relates_to": relations | values,
        "m.new_content": st.fixed_dictionaries({}, optional={"body": bodies | values}) | values,
        "url": st.just("mxc://x/y") | values,
        "geo_uri": st.just("geo:1,2") | values,
        "algorithm": st.just("m.megolm.v1.aes-sha2") | values,
        "ciphertext": values,
        "redacts": values,
    },
)
events = st.fixed_dictionaries(
    {
        "type": st.sampled_from(TYPES) | values,
        "content": contents | values,
    },
    optional={
        "event_id": st.sampled_from(["$e1", "$e2"]) | values,
        "sender": st.sampled_from([ALICE, BOT]) | values,
        # nio's own parser raises on a timestamp that is not an integer (a homeserver
        # sets and checks it); what nio cannot parse never reaches the intake.
        "origin_server_ts": st.integers(0, 2**53),
        "state_key": values,
        "unsigned": st.fixed_dictionaries({}, optional={"redacted_because": values}) | values,
        "redacts": values,
    },
)


def _intake() -> tuple[Intake, MatrixRoom]:
    room = MatrixRoom("!r:localhost", BOT)
    room.encrypted = True
    return Intake(AsyncClient("http://localhost", BOT), BOT), room


def _must_be_screened(source: dict[str, Any]) -> bool:
    """A text message of a participant's, with words of their own to read."""
    content = source["content"]
    return (
        source["type"] == "m.room.message"
        and isinstance(content, dict)
        and content.get("msgtype") in ("m.text", "m.emote", "m.notice")
        and isinstance(content.get("body"), str)
        and bool(content["body"].strip())
        and "m.new_content" not in content
        and "m.relates_to" not in content
        and isinstance(source.get("event_id"), str)
        and isinstance(source.get("sender"), str)
        and source["sender"] != BOT
        and "state_key" not in source
        and "redacted_because" not in str(source.get("unsigned"))
    )


@given(source=events)
@example(source={"type": "m.room.message", "event_id": "$e1", "sender": ALICE,
                 "origin_server_ts": 1, "content": {"msgtype": "m.text", "body": "döda henne",
                                                    "format": "org.matrix.custom.html",
                                                    "formatted_body": 5}})  # fmt: skip
@example(source={"type": "m.sticker", "event_id": "$e1", "sender": ALICE,
                 "origin_server_ts": 1, "content": {"body": "x", "url": 5}})  # fmt: skip
@example(source={"type": "m.room.message", "event_id": "$e1", "sender": ALICE,
                 "origin_server_ts": 1, "content": {"msgtype": "m.text",
                                                    "body": "\ud800 döda henne"}})  # fmt: skip
def test_any_event_is_taken_without_raising(source: dict[str, Any]) -> None:
    # What a sync delivers went through JSON: keep only what JSON can carry.
    source = json.loads(json.dumps(source))
    queue, room = _intake()
    event = Event.parse_event(source)
    queue.take(room, event)
    for message in queue.batch.messages:
        message.text.encode("utf-8")  # the vault, Rasa and the logs take UTF-8
        assert isinstance(message.timestamp_ms, int)
        assert isinstance(message.event_id, str) and isinstance(message.sender, str)
    if _must_be_screened(source):
        assert [m.kind for m in queue.batch.messages] == [Kind.TEXT], event
