"""A handoff on Telegram is relayed through the desk of whoever took over; on Matrix
they are seated in the room and nothing is relayed."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timezone
from pathlib import Path
from typing import cast

import pytest

from bot.escalation.desks import Desks
from bot.ids import EventId, MatrixUserId, ParticipantId, RoomId, participant_code
from bot.participants.accountability import Accountability
from bot.rasa.client import RasaControl
from bot.staff.handoff import RELAYED, TAKEN, Handoff
from bot.staff.shown_content import ShownContent
from bot.state.participants import ParticipantRegistry
from bot.state.turns import PendingTurn
from safety.consent_terms import ConsentTerms
from safety.vault import Vault, load_or_create_key_file
from tests.unit.transports.test_router import Recording

PROJECT = Path(__file__).resolve().parents[2]
MEDIATOR = "@handledare:localhost"
OTHER = "@jour:localhost"
DESK = "!desk:localhost"
BOT = "@samtal:localhost"


class Sent(Recording):
    def __init__(self) -> None:
        super().__init__("telegram", "telegram:")
        self.texts: list[tuple[str, str]] = []

    def owns(self, conversation: str) -> bool:
        return True

    async def notice(
        self,
        conversation: str,
        text: str,
        key: str,
        expected: frozenset[str],
        *,
        mentions: tuple[str, ...] = (),
        page: bool = False,
    ) -> str:
        self.texts.append((conversation, text))
        return f"$sent{len(self.texts)}"

    async def bring_in(self, conversation: str, person: str) -> bool:
        return not conversation.startswith("telegram:")


class OneDesk:
    def room_of(self, person: str) -> str | None:
        return DESK if person == MEDIATOR else None

    def usable(self, person: str) -> bool:
        return person == MEDIATOR

    def members_of(self, person: str) -> frozenset[str]:
        return frozenset({person, BOT})


class Paused:
    async def set_paused(self, sender: ParticipantId, paused: bool) -> None:
        return None


@pytest.fixture
def parts(tmp_path: Path) -> tuple[Handoff, Sent, ParticipantRegistry, Vault]:
    vault = Vault(tmp_path / "v.db", load_or_create_key_file(tmp_path / "kek", create=True))
    registry = ParticipantRegistry(vault)
    accountability = Accountability(
        vault, PROJECT / "dialogues" / "consent", timezone.utc, ConsentTerms.of(True, 86_400.0)
    )
    sent = Sent()
    handoff = Handoff(
        sent,
        registry,
        sent,
        cast(RasaControl, Paused()),
        BOT,
        accountability,
        cast(Desks, OneDesk()),
        ShownContent(vault, sent),
    )
    return handoff, sent, registry, vault


def turn_of(pseudonym: str, room: str, text: str) -> PendingTurn:
    return PendingTurn(
        owner=ParticipantId(pseudonym),
        event_id=EventId(f"{room}:7"),
        sender=MatrixUserId(room),
        room_id=RoomId(room),
        text=text,
        timestamp_ms=1,
        language="en",
        level="none",
    )


async def test_on_telegram_the_desk_hears_the_participant_and_say_answers_under_a_pseudonym(
    parts: tuple[Handoff, Sent, ParticipantRegistry, Vault],
) -> None:
    handoff, sent, registry, vault = parts
    person = registry.enroll("telegram:42", "en", MEDIATOR)
    registry.save(replace(person, room_id=RoomId("telegram:42")))
    code = participant_code(person.pseudonym)
    taken = await handoff.take(code, MEDIATOR, "$cmd", "they asked")
    assert RELAYED in taken and TAKEN not in taken and f"!say {code}" in taken
    person = registry.get(person.pseudonym)
    assert person is not None and person.handoff_by == MEDIATOR

    await handoff.relay(person, turn_of(person.pseudonym, "telegram:42", "can we talk"))
    assert sent.texts[-1] == (DESK, f"{code}: can we talk")
    # What the desk was shown leaves with the participant's data.
    assert list(vault.items("shown_in_desk", person.pseudonym))

    # Only the one who took over may write to them, and it is signed by pseudonym.
    refused = await handoff.say(person, OTHER, "hello", "$say1")
    assert "not taken their conversation over" in refused
    assert await handoff.say(person, MEDIATOR, "I will call at three", "$say2") == f"{code}: sent."
    room, text = sent.texts[-1]
    assert room == "telegram:42"
    assert re.fullmatch(r"Programme staff M-[A-Z0-9]{4}: I will call at three", text)
    assert MEDIATOR not in text and "handledare" not in text


async def test_on_matrix_nothing_is_relayed_and_say_is_refused(
    parts: tuple[Handoff, Sent, ParticipantRegistry, Vault],
) -> None:
    handoff, sent, registry, _ = parts
    person = registry.enroll("@p:localhost", "en", MEDIATOR)
    registry.save(replace(person, room_id=RoomId("!room:localhost")))
    code = participant_code(person.pseudonym)
    assert TAKEN in await handoff.take(code, MEDIATOR, "$cmd", "they asked")
    person = registry.get(person.pseudonym)
    assert person is not None
    before = list(sent.texts)
    await handoff.relay(person, turn_of(person.pseudonym, "!room:localhost", "hi"))
    assert sent.texts == before
    assert "write to them there" in await handoff.say(person, MEDIATOR, "hi", "$say")
    assert sent.texts == before
