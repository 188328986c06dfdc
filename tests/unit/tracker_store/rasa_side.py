"""Checks of EncryptedTrackerStore against Rasa's own classes; runs in .venv-rasa.

The gateway's test environment has no Rasa, so ``test_tracker_rasa_adapter.py``
runs this module with .venv-rasa's Python: ``python -m
tests.unit.tracker_store.rasa_side DIR``. It exits non-zero on the first failed
check. The same operations run on Rasa's InMemoryTrackerStore, and what
``retrieve`` returns must match it event for event.
"""

from __future__ import annotations

import asyncio
import copy
import os
import sys
from pathlib import Path
from typing import Any

from rasa.core.tracker_store import InMemoryTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.utils.endpoints import EndpointConfig

from safety.errors import ConfigError, KeyFileError, ShreddedError
from safety.tracker_store import EncryptedTrackerStore
from safety.vault import Vault, load_or_create_key_file

SENDER = "p-4b1d9e"
DOMAIN = Domain.from_dict(
    {
        "intents": ["greet", "inform"],
        "slots": {"mood": {"type": "text", "mappings": [{"type": "custom"}]}},
        "responses": {"utter_greet": [{"text": "Hej!"}]},
    }
)


def session_start(metadata: dict[str, Any] | None = None) -> list[Event]:
    events: list[Event] = [ActionExecuted("action_session_start"), SessionStarted()]
    if metadata is not None:
        events.append(SlotSet("session_started_metadata", metadata))
    return [*events, ActionExecuted("action_listen")]


def turn(text: str) -> list[Event]:
    return [
        UserUttered(text, intent={"name": "inform", "confidence": 0.9}),
        SlotSet("mood", text),
        ActionExecuted("utter_greet"),
        BotUttered("Hej!"),
        ActionExecuted("action_listen"),
    ]


def dicts(tracker: Any) -> list[dict[str, Any]]:
    return [event.as_dict() for event in tracker.events]


async def step(store: TrackerStore, events: list[Event]) -> Any:
    """What Rasa's processor does: load the latest session, update it, save it."""
    tracker = await store.get_or_create_tracker(SENDER, append_action_listen=False)
    for event in copy.deepcopy(events):
        tracker.update(event, DOMAIN)
    await store.save(tracker)
    return await store.retrieve(SENDER)


def endpoint(db: Path, kek: Path, **extra: Any) -> EndpointConfig:
    return EndpointConfig(
        url=f"sqlite:///{db}",
        type="safety.tracker_store.EncryptedTrackerStore",
        key_file=str(kek),
        **extra,
    )


async def check_parity_and_sessions(db: Path, kek: Path) -> int:
    store = TrackerStore.create(endpoint(db, kek, flush_after=6, compact_after=2), DOMAIN)
    assert type(store) is EncryptedTrackerStore, type(store)
    reference = InMemoryTrackerStore(DOMAIN)
    script = [session_start(), *[turn(f"svar {n}") for n in range(5)]]
    script += [session_start({"checkin": "weekly"}), turn("ny"), turn("session")]
    script += [session_start(), *[turn(f"lång {n}") for n in range(12)]]
    everything: list[dict[str, Any]] = []
    for events in script:
        ours, theirs = await step(store, events), await step(reference, events)
        assert dicts(ours) == dicts(theirs)
        assert ours.current_slot_values() == theirs.current_slot_values()
        everything += [event.as_dict() for event in events]
    full = await store.retrieve_full_tracker(SENDER)
    assert [{**e, "timestamp": 0} for e in dicts(full)] == [
        {**e, "timestamp": 0} for e in everything
    ]
    current = await store.retrieve(SENDER)
    assert len(current.events) == 3 + 12 * 5  # the last session only
    assert await store.keys() == [SENDER]
    assert await store.exists(SENDER)
    assert not await store.exists("p-nobody")
    assert await store.retrieve("p-nobody") is None
    return len(script)


async def check_full_tracker_round_trip(db: Path, kek: Path) -> None:
    """Rasa's GET /tracker path loads every session; saving it adds nothing twice."""
    store = TrackerStore.create(endpoint(db, kek), DOMAIN)
    full = await store.retrieve_full_tracker(SENDER)
    before = len(full.events)
    for event in turn("efter full"):
        full.update(event, DOMAIN)
    await store.save(full)
    again = await store.retrieve_full_tracker(SENDER)
    assert len(again.events) == before + 5


async def check_shredding(db: Path, kek: Path) -> None:
    store = TrackerStore.create(endpoint(db, kek), DOMAIN)
    gateway = Vault(db, load_or_create_key_file(kek, create=False))
    gateway.shred(SENDER)
    gateway.close()
    assert await store.retrieve(SENDER) is None
    assert await store.retrieve_full_tracker(SENDER) is None
    fresh = await store.get_or_create_tracker(SENDER, append_action_listen=False)
    for event in session_start():
        fresh.update(event, DOMAIN)
    try:
        await store.save(fresh)
    except ShreddedError:
        return
    raise AssertionError("a shredded owner's tracker was written")


def check_refusals(db: Path, kek: Path) -> None:
    try:
        EncryptedTrackerStore(DOMAIN, host=f"sqlite:///{db}", event_broker=object(), key_file=kek)
    except ConfigError as exc:
        assert "event broker" in str(exc)
    else:
        raise AssertionError("an event broker was accepted")
    open_kek = kek.with_name("open.hex")
    open_kek.write_text(kek.read_text())
    os.chmod(open_kek, 0o644)
    try:
        TrackerStore.create(endpoint(db, open_kek), DOMAIN)
    except KeyFileError:
        return
    raise AssertionError("Rasa got a tracker store despite a readable key file")


def check_lock_store(redis_url: str) -> int:
    """Four "servers" (threads, each with its own store and loop) take turns on one
    conversation: never two inside the lock at once."""
    import threading

    from safety.tracker_store.redis_lock import AtomicRedisLockStore

    host, port, password = redis_url.split(":", 2)
    inside: list[int] = []
    overlaps: list[int] = []
    done: list[int] = []

    async def server(number: int) -> None:
        store = AtomicRedisLockStore(host=host, port=int(port), password=password)
        for _ in range(25):
            async with store.lock("p-shared", wait_time_in_seconds=0.001):
                inside.append(number)
                if len(inside) > 1:
                    overlaps.append(number)
                await asyncio.sleep(0.002)
                inside.remove(number)
                done.append(number)

    threads = [threading.Thread(target=asyncio.run, args=(server(n),)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert overlaps == [], overlaps
    assert len(done) == 100, len(done)
    return len(done)


async def main(workdir: Path) -> None:
    db, kek = workdir / "gateway" / "vault.db", workdir / "secrets" / "kek.hex"
    load_or_create_key_file(kek, create=True)
    steps = await check_parity_and_sessions(db, kek)
    await check_full_tracker_round_trip(db, kek)
    await check_shredding(db, kek)
    check_refusals(db, kek)
    turns = check_lock_store(os.environ["SAMTAL_TEST_REDIS"])
    print(
        f"rasa-side checks passed ({steps} steps matched InMemoryTrackerStore;"
        f" {turns} locked turns from 4 lock stores never overlapped)"
    )


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1])))
