"""A message the gateway cannot take in is retried, then set aside; set aside
means unscreened, so the people responsible hear of it, once, naming a code only."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.model import Inbound
from bot.gateway.gateway import MAX_TURN_ATTEMPTS, Gateway
from bot.ids import EventId, MatrixUserId, RoomId, participant_code
from tests.support.gateway import MEDIATOR, PARTICIPANT, make_gateway


@pytest.fixture
def gateway(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Gateway:
    return make_gateway(tmp_path, monkeypatch)


def message(event: str) -> Inbound:
    return Inbound(
        event_id=EventId(event),
        sender=MatrixUserId(PARTICIPANT),
        room_id=RoomId("!room:localhost"),
        text="something",
        room_encrypted=True,
        room_members=frozenset({"@samtal:localhost", PARTICIPANT}),
        timestamp_ms=1,
    )


async def test_a_message_that_keeps_failing_is_set_aside_and_its_mediator_told(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    participant = gateway.registry.enroll(PARTICIPANT, "sv", MEDIATOR)
    told: list[tuple[tuple[str, ...], str]] = []

    async def failing_intake(inbound: Inbound) -> None:
        raise OSError("disk full")

    async def desk_notice(people: tuple[str, ...], text: str, txn: str) -> None:
        told.append((people, text))

    monkeypatch.setattr(gateway.turns, "intake", failing_intake)
    monkeypatch.setattr(gateway, "desk_notice", desk_notice)
    try:
        taken = [await gateway._take_in(message("$e1")) for _ in range(MAX_TURN_ATTEMPTS)]
        # Retried (the sync position stays) until set aside; then told, once.
        assert taken == [False] * (MAX_TURN_ATTEMPTS - 1) + [True]
        assert await gateway._take_in(message("$e1")) is True
        code = participant_code(participant.pseudonym)
        assert told == [((MEDIATOR, "@chef:localhost"), told[0][1])]
        assert code in told[0][1] and "could not be screened" in told[0][1]
        assert "something" not in told[0][1] and PARTICIPANT not in told[0][1]
    finally:
        gateway.vault.close()
