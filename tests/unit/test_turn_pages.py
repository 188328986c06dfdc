"""What a page quotes: the participant's own words, whole, and never a Matrix id,
whether the screen or the dialogue raised it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from nio import AsyncClient, Event, MatrixRoom

from bot.core.model import Inbound
from bot.escalation.store import all_escalations
from bot.escalation.texts import notice_body
from bot.gateway.gateway import Gateway
from bot.ids import EventId, MatrixUserId, RoomId
from bot.transports.matrix.intake import Intake
from safety.escalation.record import Escalation
from tests.support.gateway import BOT, MEDIATOR, PARTICIPANT, make_gateway

ROOM = "!room:localhost"
# Typed by the participant: a Matrix id, the same in full-width look-alikes (as an
# earlier inert quote shows it), and someone else's words in a fallback's shape.
NAMED = "tack, jag läste @anna:example.org och ＠anna：example．org"


@pytest.fixture
def gateway(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Gateway:
    return make_gateway(tmp_path, monkeypatch)


def _inbound(event_id: str, text: str) -> Inbound:
    return Inbound(
        event_id=EventId(event_id),
        sender=MatrixUserId(PARTICIPANT),
        room_id=RoomId(ROOM),
        text=text,
        room_encrypted=True,
        room_members=frozenset({BOT, PARTICIPANT}),
        timestamp_ms=1,
    )


def _pages(gateway: Gateway) -> list[tuple[Escalation, str]]:
    return [(esc, notice_body(esc, esc.outbox[0], ())) for esc in all_escalations(gateway.vault)]


def _names_nobody(page: str) -> None:
    for form in ("anna", "ａｎｎａ", "example", "＠a", "@a", "deltagare"):
        assert form not in page, form


def _from_matrix(content: dict[str, Any]) -> Inbound:
    room = MatrixRoom(ROOM, BOT)
    room.encrypted = True
    room.add_member(PARTICIPANT, "", "")
    intake = Intake(AsyncClient("http://localhost", BOT), BOT)
    source = {"type": "m.room.message", "content": content, "sender": PARTICIPANT}
    intake.take(room, Event.parse_event({**source, "event_id": "$m1", "origin_server_ts": 5}))
    [message] = intake.batch.messages
    return message


async def test_a_page_the_dialogue_raises_quotes_no_matrix_id(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    participant = gateway.registry.enroll(PARTICIPANT, "sv", MEDIATOR)
    flag = {"type": "risk_flag", "level": "high", "signals": ["threat"]}

    async def dialogue(*args: Any, **kwargs: Any) -> list[dict[str, Any]]:
        effects = {"samtal": {"kind": "effects", "effects": [flag]}}
        return [{"text": "Jag hör dig.", "custom": effects}]

    async def send(*args: Any, **kwargs: Any) -> str:
        return "$sent"

    async def typing(*args: Any) -> None:
        return None

    monkeypatch.setattr(gateway.rasa, "message", dialogue)
    monkeypatch.setattr(gateway.transports, "notice", send)
    monkeypatch.setattr(gateway.transports, "typing", typing)
    try:
        turn = await gateway.turns.intake(_inbound("$d1", NAMED))
        assert turn is not None and turn.level == "none"  # the screen itself paged nothing
        await gateway.turns.complete(turn)
        [(esc, page)] = _pages(gateway)
        assert esc.participant == participant.pseudonym and esc.level == "high"
        assert esc.events == ("$d1 dialogue",)
        assert esc.quote is not None and "jag läste [id] och [id]" in esc.quote
        _names_nobody(page)
    finally:
        gateway.vault.close()


async def test_quote_lines_the_participant_typed_are_screened_and_paged_whole(
    gateway: Gateway,
) -> None:
    # No reply relation: the "> <…>" lines are markdown of their own, not a fallback.
    gateway.registry.enroll(PARTICIPANT, "en", MEDIATOR)
    body = f"> <@anna:example.org> I am going to kill her tonight\nok {NAMED}"
    try:
        message = _from_matrix({"msgtype": "m.text", "body": body})
        assert message.text == body
        turn = await gateway.turns.intake(message)
        assert turn is not None and turn.level == "imminent"
        [(_, page)] = _pages(gateway)
        assert "kill her tonight" in page
        _names_nobody(page)
    finally:
        gateway.vault.close()


async def test_a_photos_caption_is_screened_and_paged(gateway: Gateway) -> None:
    gateway.registry.enroll(PARTICIPANT, "en", MEDIATOR)
    content = {
        "msgtype": "m.image",
        "url": "mxc://localhost/a",
        "filename": "IMG_0042.jpg",
        "body": "I am going to kill her tonight",
    }
    try:
        turn = await gateway.turns.intake(_from_matrix(content))
        assert turn is not None and turn.level == "imminent" and turn.kind == "text"
        [(_, page)] = _pages(gateway)
        assert "kill her tonight" in page and "IMG" not in page and "mxc" not in page
    finally:
        gateway.vault.close()
