"""The tracker journal on the memory and SQLite backends, without Rasa."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from safety.errors import ShreddedError, StoreError
from safety.tracker_store.events import Event, split_sessions
from safety.tracker_store.head import EVENTS_KIND, HEAD_KIND
from safety.tracker_store.journal import JournalLimits, SaveOutcome, TrackerJournal
from safety.vault import Vault, open_vault
from safety.vault.backend import StoredRecord
from tests.unit.tracker_store.helpers import Conversation, provider

SENDER = "p-3f9a1c"


def rasa_turn(journal: TrackerJournal, sender: str, new: list[Event]) -> SaveOutcome:
    """What Rasa does per turn: load the open session, add events, save it all."""
    return journal.save(sender, [*(journal.current(sender) or []), *new])


def count_gets(vault: Vault, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record the kind of every record the backend is asked for."""
    kinds: list[str] = []
    original: Callable[[str, str, str], StoredRecord | None] = vault.store.get

    def counting(kind: str, owner: str, rkey: str) -> StoredRecord | None:
        kinds.append(kind)
        return original(kind, owner, rkey)

    monkeypatch.setattr(vault.store, "get", counting)
    return kinds


def records(vault: Vault, kind: str, owner: str = SENDER) -> int:
    return len(vault.store.scan(kind, owner))


def test_unknown_sender_has_no_tracker(vault: Vault) -> None:
    journal = TrackerJournal(vault)
    assert journal.current(SENDER) is None
    assert journal.full(SENDER) is None
    assert not journal.exists(SENDER)
    assert journal.save(SENDER, []) == "unchanged"
    assert journal.senders() == []


def test_turns_append_to_the_open_session(vault: Vault, talk: Conversation) -> None:
    journal = TrackerJournal(vault)
    expected = talk.session_start()
    assert journal.save(SENDER, expected) == "created"
    for n in range(5):
        turn = talk.turn(f"answer {n}")
        expected += turn
        assert rasa_turn(journal, SENDER, turn) == "appended"
    assert journal.current(SENDER) == expected
    assert journal.full(SENDER) == expected
    assert journal.exists(SENDER)
    assert journal.senders() == [SENDER]
    # Everything so far rides in the head: one record, rewritten per turn.
    assert records(vault, HEAD_KIND) == 1
    assert records(vault, EVENTS_KIND) == 0


def test_saving_the_same_tracker_again_writes_nothing(
    vault: Vault, talk: Conversation, monkeypatch: pytest.MonkeyPatch
) -> None:
    journal = TrackerJournal(vault)
    journal.save(SENDER, talk.session_start() + talk.turn("x"))
    writes: list[object] = []
    monkeypatch.setattr(vault.store, "put", lambda *a, **k: writes.append(a))
    assert journal.save(SENDER, journal.current(SENDER) or []) == "unchanged"
    assert writes == []


def test_long_sessions_flush_to_chunks_and_compact(vault: Vault, talk: Conversation) -> None:
    journal = TrackerJournal(vault, JournalLimits(flush_after=7, compact_after=3))
    expected = talk.session_start()
    journal.save(SENDER, expected)
    outcomes = []
    for n in range(40):
        turn = talk.turn(f"answer {n}")
        expected += turn
        outcomes.append(rasa_turn(journal, SENDER, turn))
        assert journal.current(SENDER) == expected
        assert records(vault, EVENTS_KIND) <= 3
    assert {"appended", "flushed", "compacted"} <= set(outcomes)
    assert journal.full(SENDER) == expected


def test_a_new_session_closes_the_old_one_into_one_record(
    vault: Vault, talk: Conversation, monkeypatch: pytest.MonkeyPatch
) -> None:
    journal = TrackerJournal(vault, JournalLimits(flush_after=4, compact_after=4))
    first = talk.session_start()
    journal.save(SENDER, first)
    for n in range(6):
        turn = talk.turn(f"first {n}")
        first += turn
        rasa_turn(journal, SENDER, turn)
    second = talk.session_start()
    assert rasa_turn(journal, SENDER, second) == "new_session"
    assert records(vault, EVENTS_KIND) == 1  # the closed session; its chunks are gone
    turn = talk.turn("second")
    second += turn
    rasa_turn(journal, SENDER, turn)

    head = journal.head(SENDER)
    assert head is not None
    gets = count_gets(vault, monkeypatch)
    assert journal.current(SENDER) == second
    # the head and the open session's own chunk: the old session is not even read
    assert gets == [HEAD_KIND] + [EVENTS_KIND] * head.chunks
    assert journal.full(SENDER) == first + second


def test_retrieving_reads_only_the_current_session_however_long_the_history(
    vault: Vault, talk: Conversation, monkeypatch: pytest.MonkeyPatch
) -> None:
    journal = TrackerJournal(vault, JournalLimits(flush_after=6, compact_after=4))
    journal.save(SENDER, talk.session_start())
    for session in range(30):
        for n in range(10):
            rasa_turn(journal, SENDER, talk.turn(f"{session}.{n}"))
        rasa_turn(journal, SENDER, talk.session_start())
    gets = count_gets(vault, monkeypatch)
    current = journal.current(SENDER) or []
    assert [e["event"] for e in current] == ["action", "session_started", "action"]
    assert gets == [HEAD_KIND]
    full = journal.full(SENDER) or []
    assert len(split_sessions(full)) == 1 + 31  # empty first piece + 31 sessions
    assert len(full) == 31 * 3 + 300 * 5


def test_a_full_tracker_is_recognised_and_not_stored_twice(
    vault: Vault, talk: Conversation
) -> None:
    journal = TrackerJournal(vault)
    journal.save(SENDER, talk.session_start() + talk.turn("a"))
    rasa_turn(journal, SENDER, talk.session_start() + talk.turn("b"))
    full = journal.full(SENDER) or []
    extra = talk.turn("c")
    assert journal.save(SENDER, full + extra) == "appended"
    assert journal.full(SENDER) == full + extra


def test_several_sessions_in_one_save(vault: Vault, talk: Conversation) -> None:
    journal = TrackerJournal(vault)
    events = talk.turn("before any session")
    for n in range(3):
        events += talk.session_start() + talk.turn(f"s{n}")
    assert journal.save(SENDER, events) == "created"
    assert journal.full(SENDER) == events
    assert journal.current(SENDER) == events[-8:]


def test_a_tracker_that_does_not_continue_is_kept_as_new_sessions(
    vault: Vault, talk: Conversation
) -> None:
    """Rasa falls back to a fresh tracker when a retrieve failed: keep the history."""
    journal = TrackerJournal(vault)
    old = talk.session_start() + talk.turn("old")
    journal.save(SENDER, old)
    fresh = talk.session_start() + talk.turn("fresh")
    assert journal.save(SENDER, fresh) == "realigned"
    assert journal.current(SENDER) == fresh
    assert journal.full(SENDER) == old + fresh
    more = talk.turn("more")
    assert rasa_turn(journal, SENDER, more) == "appended"
    assert journal.current(SENDER) == fresh + more


def test_two_writers_of_one_state_both_keep_their_turns(vault: Vault, talk: Conversation) -> None:
    """Two Rasa servers loaded the same state and saved one after the other."""
    journal = TrackerJournal(vault, JournalLimits(flush_after=4, compact_after=2))
    shared = talk.session_start() + talk.turn("shared")
    journal.save(SENDER, shared)
    first, second = talk.turn("first"), talk.turn("second")
    assert journal.save(SENDER, shared + first) in ("appended", "flushed")
    assert journal.save(SENDER, shared + second) == "merged"
    assert journal.full(SENDER) == shared + first + second
    late_session = talk.session_start()
    assert journal.save(SENDER, shared + second + late_session) == "merged"
    assert journal.current(SENDER) == late_session
    assert journal.full(SENDER) == shared + first + second + late_session


def test_random_histories_read_back_exactly(vault: Vault, talk: Conversation) -> None:
    """Turns, session starts, full-tracker saves and fallbacks, against a model."""
    rng = random.Random(5)
    journal = TrackerJournal(vault, JournalLimits(flush_after=3, compact_after=2))
    full: list[Event] = []
    for step in range(150):
        choice = rng.random()
        if choice < 0.6:
            new = talk.turn(f"t{step}")
            (rasa_turn if rng.random() < 0.8 else _full_turn)(journal, SENDER, new)
            full += new
        elif choice < 0.85:
            new = talk.session_start()
            rasa_turn(journal, SENDER, new)
            full += new
        elif choice < 0.9:
            new = talk.session_start() + talk.turn(f"fresh {step}")
            journal.save(SENDER, new)
            full += new
        elif choice < 0.95:  # a stale copy of the open session, from a second server
            stale = _last_session(full)[: rng.randint(1, len(_last_session(full)))]
            new = talk.turn(f"late {step}")
            journal.save(SENDER, stale + new)
            full += new
        else:
            assert journal.save(SENDER, journal.current(SENDER) or []) == "unchanged"
        assert journal.full(SENDER) == full
        assert journal.current(SENDER) == _last_session(full)


def _full_turn(journal: TrackerJournal, sender: str, new: list[Event]) -> SaveOutcome:
    return journal.save(sender, [*(journal.full(sender) or []), *new])


def _last_session(events: list[Event]) -> list[Event]:
    pieces = [piece for piece in split_sessions(events) if piece]
    return pieces[-1]


def test_shredding_the_owner_makes_the_tracker_unreadable(vault: Vault, talk: Conversation) -> None:
    journal = TrackerJournal(vault, JournalLimits(flush_after=4, compact_after=4))
    other = "p-other"
    journal.save(SENDER, talk.session_start() + talk.turn("mine"))
    rasa_turn(journal, SENDER, talk.session_start() + talk.turn("mine again"))
    journal.save(other, talk.session_start() + talk.turn("theirs"))
    vault.shred(SENDER)
    assert journal.current(SENDER) is None
    assert journal.full(SENDER) is None
    assert records(vault, HEAD_KIND) + records(vault, EVENTS_KIND) == 0
    assert journal.senders() == [other]
    with pytest.raises(ShreddedError):
        journal.save(SENDER, talk.session_start())
    assert (journal.current(other) or [])[-2]["text"] == "you said theirs"


def test_records_cannot_be_swapped(vault: Vault, talk: Conversation) -> None:
    """Each record is bound to its key: moving a session's ciphertext is detected."""
    journal = TrackerJournal(vault)
    journal.save(SENDER, talk.session_start() + talk.turn("one"))
    rasa_turn(journal, SENDER, talk.session_start() + talk.turn("two"))
    rasa_turn(journal, SENDER, talk.session_start())
    closed = vault.store.scan(EVENTS_KIND, SENDER)
    assert len(closed) == 2
    first, second = closed
    assert vault.store.put(first.kind, first.owner, first.rkey, lambda version: second.sealed)
    with pytest.raises(StoreError):
        journal.full(SENDER)


def test_a_crash_between_writes_leaves_a_readable_tracker(
    vault: Vault, talk: Conversation, monkeypatch: pytest.MonkeyPatch
) -> None:
    journal = TrackerJournal(vault, JournalLimits(flush_after=4, compact_after=2))
    expected = talk.session_start()
    journal.save(SENDER, expected)
    original = TrackerJournal._put_head
    for n in range(12):
        turn = talk.turn(f"{n}")

        def crash(self: TrackerJournal, sender: str, head: Any) -> None:
            raise StoreError("power cut")

        monkeypatch.setattr(TrackerJournal, "_put_head", crash)
        with pytest.raises(StoreError):
            rasa_turn(journal, SENDER, turn)
        monkeypatch.setattr(TrackerJournal, "_put_head", original)
        assert journal.current(SENDER) == expected  # the head was the commit point
        rasa_turn(journal, SENDER, turn)
        expected += turn
        assert journal.current(SENDER) == expected


def test_no_message_text_in_the_sqlite_file(tmp_path: Path, talk: Conversation) -> None:
    path = tmp_path / "vault.db"
    vault = open_vault(f"sqlite:///{path}", provider())
    journal = TrackerJournal(vault, JournalLimits(flush_after=5, compact_after=2))
    canary = "kanariefagel-5c1e"
    journal.save(SENDER, talk.session_start())
    for n in range(20):
        rasa_turn(journal, SENDER, talk.turn(f"{canary} {n}"))
        if n % 7 == 6:
            rasa_turn(journal, SENDER, talk.session_start())
    assert canary in str(journal.full(SENDER))
    files = [p for p in tmp_path.iterdir() if p.name.startswith("vault.db")]
    raw = b"".join(p.read_bytes() for p in files)
    assert canary.encode() not in raw
    assert SENDER.encode() in raw  # the search works: the pseudonym is stored in the clear
    vault.close()
