"""Pages to several desks: each desk's copy is recorded as it goes, a failing desk is
tried again alone and, if it keeps failing, routed around; nobody gets a page twice."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, cast

import pytest

from bot.config import EscalationConfig
from bot.core.model import Participant
from bot.errors import MatrixCallError
from bot.escalation.desks import Desks
from bot.escalation.engine import FAILING_DESK_SENDS, EscalationEngine
from bot.escalation.store import EscalationStore
from bot.ids import MatrixUserId, ParticipantId
from bot.transports.port import Outbox
from bot.transports.traffic import Traffic
from safety.escalation.policy import EscalationPolicy
from safety.escalation.record import close_on_deletion
from safety.vault import Vault, load_or_create_key_file

MEDIATOR, ON_CALL, SUPERVISOR = "@m:x", "@jour:x", "@sup:x"
POLICY = EscalationPolicy(ack_seconds={"imminent": 60, "high": 600, "handoff": 900})
PERSON = Participant(
    pseudonym=ParticipantId("pabcdefghij"),
    matrix_id=MatrixUserId("@p:x"),
    language="sv",
    mediator=MEDIATOR,
)


class FakeDesks:
    """Every staff member has a joined, clean desk named after them."""

    def __init__(self) -> None:
        self.strangers: set[str] = set()

    def room_of(self, person: str) -> str:
        return f"!desk-{person}"

    def owner_of(self, room_id: str) -> str | None:
        return room_id.removeprefix("!desk-") if room_id.startswith("!desk-") else None

    def members_of(self, person: str) -> frozenset[str]:
        return frozenset({person, "@samtal:x"})

    def strangers_in(self, person: str) -> int:
        return 1 if person in self.strangers else 0

    def usable(self, person: str) -> bool:
        return person not in self.strangers

    def joined(self, person: str) -> bool:
        return True


class FakeSender:
    """Records what reached which room; a room in ``refusing`` is refused."""

    last_timing_ms = (0.0, 0.0)

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str]] = []  # room, body, txn
        self.refusing: set[str] = set()
        self.redacted: list[tuple[str, str]] = []

    async def notice(self, room_id: str, body: str, txn: str, expected: Any, **_: Any) -> str:
        if room_id in self.refusing:
            raise MatrixCallError("room_send", "M_FORBIDDEN", "refused")
        self.sent.append((room_id, body, txn))
        return f"$event{len(self.sent)}"

    async def redact(self, room_id: str, event_id: str, reason: str) -> None:
        self.redacted.append((room_id, event_id))


@pytest.fixture
def parts(tmp_path: Path) -> tuple[EscalationEngine, EscalationStore, FakeSender, FakeDesks]:
    vault = Vault(tmp_path / "vault.db", load_or_create_key_file(tmp_path / "kek", create=True))
    store = EscalationStore(vault)
    config = EscalationConfig(
        on_call=(ON_CALL,), supervisors=(SUPERVISOR,), quote_message=True, policy=POLICY
    )
    sender, desks = FakeSender(), FakeDesks()
    engine = EscalationEngine(
        config, store, cast(Desks, desks), None, cast(Outbox, sender), Traffic()
    )
    return engine, store, sender, desks


def copies(sender: FakeSender, code: str, room: str) -> int:
    return sum(1 for got, body, _ in sender.sent if got == room and code in body)


async def test_a_desk_that_failed_is_tried_again_alone(parts: Any) -> None:
    engine, store, sender, _ = parts
    esc = engine.raise_for(PERSON, "imminent", ("weapon",), "kniven", "$m1")
    sender.refusing.add(f"!desk-{ON_CALL}")
    await engine.tick()
    assert copies(sender, esc.code, f"!desk-{MEDIATOR}") == 1
    assert store.find(esc.code).unsent()  # not everyone has it yet
    # The mediator's copy is recorded: a ✅ on it finds the page.
    mediator_event = next(
        event for room, event in store.find(esc.code).notice_places if room == f"!desk-{MEDIATOR}"
    )
    assert [e.code for e in engine.notice_escalations(mediator_event)] == [esc.code]
    sender.refusing.clear()
    await engine.tick()
    assert copies(sender, esc.code, f"!desk-{MEDIATOR}") == 1  # never twice
    assert copies(sender, esc.code, f"!desk-{ON_CALL}") == 1
    assert store.find(esc.code).unsent() == ()


async def test_a_desk_that_keeps_failing_is_routed_around(parts: Any) -> None:
    engine, store, sender, _ = parts
    esc = engine.raise_for(PERSON, "high", ("stalking",), "hon bor där", "$m2")
    sender.refusing.add(f"!desk-{MEDIATOR}")
    for _ in range(FAILING_DESK_SENDS):
        await engine.tick()
    assert copies(sender, esc.code, f"!desk-{ON_CALL}") == 0
    await engine.tick()
    # On-call stands in for the mediator whose desk keeps refusing.
    assert copies(sender, esc.code, f"!desk-{ON_CALL}") == 1
    assert store.find(esc.code).unsent() == ()


async def test_a_desk_with_a_stranger_gets_nothing_and_supervisors_hear(parts: Any) -> None:
    engine, _store, sender, desks = parts
    desks.strangers.add(MEDIATOR)
    esc = engine.raise_for(PERSON, "high", ("stalking",), "hon bor där", "$m3")
    await engine.tick()
    assert not [room for room, _, _ in sender.sent if room == f"!desk-{MEDIATOR}"]
    assert copies(sender, esc.code, f"!desk-{ON_CALL}") == 1
    warnings = [b for room, b, _ in sender.sent if room == f"!desk-{SUPERVISOR}"]
    assert any(MEDIATOR in body and "hon bor där" not in body for body in warnings)


async def test_deletion_drops_unsent_quotes_and_redacts_the_pages(parts: Any) -> None:
    engine, store, sender, _ = parts
    esc = engine.raise_for(PERSON, "imminent", ("weapon",), "kniven", "$m4")
    await engine.tick()
    engine.change(esc.code, MEDIATOR, close=False)
    await engine.tick()
    # A further message waits to be sent when the participant's data goes.
    engine.raise_for(PERSON, "imminent", ("weapon",), "FURTHER-QUOTE", "$m5")
    pages = set(store.find(esc.code).notice_places)
    await engine.close_for_deletion(PERSON.pseudonym)
    assert not [body for _, body, _ in sender.sent if "FURTHER-QUOTE" in body]
    # The pages with their words are redacted; the closing notice, without, stays.
    assert pages and pages == set(sender.redacted)
    closing = [body for _, body, _ in sender.sent if "data was deleted" in body]
    assert len(closing) == 2 and all("kniven" not in body for body in closing)
    assert close_on_deletion(store.find(esc.code), 0.0) == store.find(esc.code)


class HomeserverSender(FakeSender):
    """Deduplicates by transaction id, as the homeserver does; ``lose_next`` lets
    one send get through while the gateway never hears so (a SIGKILL or a
    timeout while the request was in flight)."""

    def __init__(self) -> None:
        super().__init__()
        self.events: dict[tuple[str, str], str] = {}
        self.lose_next = False

    async def notice(self, room_id: str, body: str, txn: str, expected: Any, **_: Any) -> str:
        seen = self.events.get((room_id, txn))
        if seen is not None:
            return seen
        event_id = await super().notice(room_id, body, txn, expected)
        self.events[(room_id, txn)] = event_id
        if self.lose_next:
            self.lose_next = False
            raise asyncio.TimeoutError
        return event_id


async def test_a_page_that_got_through_unheard_is_not_shown_again_with_later_notices(
    tmp_path: Path,
) -> None:
    vault = Vault(tmp_path / "vault.db", load_or_create_key_file(tmp_path / "kek", create=True))
    store = EscalationStore(vault)
    config = EscalationConfig(
        on_call=(ON_CALL,), supervisors=(SUPERVISOR,), quote_message=True, policy=POLICY
    )
    sender, desks = HomeserverSender(), FakeDesks()

    def engine() -> EscalationEngine:
        return EscalationEngine(
            config, store, cast(Desks, desks), None, cast(Outbox, sender), Traffic()
        )

    first = engine()
    esc = first.raise_for(PERSON, "high", ("stalking",), "hon bor där", "$m6")
    sender.lose_next = True
    await first.tick()  # the page reached the mediator's desk; the gateway never heard
    # The mediator read it and acknowledged it by its code, before the gateway knew.
    first.change(esc.code, MEDIATOR, close=False)
    restarted = engine()  # the gateway as it starts again after a SIGKILL
    restarted.assigned(PERSON.pseudonym, MEDIATOR)
    await restarted.tick()
    await restarted.tick()
    desk = f"!desk-{MEDIATOR}"
    pages = [body for room, body, _ in sender.sent if room == desk and "hon bor där" in body]
    assert len(pages) == 1
    assert [b for room, b, _ in sender.sent if room == desk and "acknowledged" in b]
    assert store.find(esc.code).unsent() == ()
