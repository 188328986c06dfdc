"""Check-in answers are sealed under the participant's key, survive replay, and go with them."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import pytest

from bot import logs
from bot.state.checkin_answers import (
    MAX_STORED_CHARS,
    TALK_TO_MEDIATOR,
    CheckinAnswers,
    record_from_json,
    record_to_json,
)
from safety.errors import ShreddedError
from safety.risk.levels import RiskLevel
from safety.vault import FileKeyProvider, Vault
from safety.vault.memory import MemoryStore

P = "p-1"
HOUR = 3600.0


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def vault(store: MemoryStore) -> Vault:
    return Vault(store, FileKeyProvider(os.urandom(32), "test-kek"))


@pytest.fixture
def answers(vault: Vault) -> CheckinAnswers:
    return CheckinAnswers(vault)


@pytest.fixture
def warnings() -> Iterator[list[str]]:
    seen: list[str] = []
    stop = logs.observe(
        lambda level, kind, _fields: seen.append(kind) if level == "warning" else None
    )
    yield seen
    stop()


def _turn(n: int) -> str:
    return f"$event{n}"


def test_answers_are_kept_in_order_and_finishing_returns_the_checkin(
    answers: CheckinAnswers,
) -> None:
    answers.answer(P, "mood", 4, 100.0, turn=_turn(1))
    answers.answer(P, "contact", "Vi ses på lördag", 160.0, turn=_turn(2))
    assert answers.current(P) is not None
    record = answers.finish(P, 200.0, completed=True, turn=_turn(3))
    assert record is not None
    assert list(record.answers) == ["mood", "contact"]
    assert record.answers["contact"].value == "Vi ses på lördag"
    assert (record.started_at, record.updated_at, record.finished_at) == (100.0, 160.0, 200.0)
    assert record.completed and record.mood == 4
    assert answers.current(P) is None
    assert answers.recent(P, 5) == [record]


def test_a_replayed_answer_is_not_duplicated_and_the_last_value_wins(
    answers: CheckinAnswers,
) -> None:
    answers.answer(P, "mood", "3 men trött", 100.0, turn=_turn(1))
    answers.answer(P, "mood", "3 men trött", 100.0, turn=_turn(1))
    answers.answer(P, "stress", "lite", 110.0)
    answers.answer(P, "stress", "mycket", 120.0)
    record = answers.current(P)
    assert record is not None
    assert list(record.answers) == ["mood", "stress"]
    assert record.answers["stress"].value == "mycket"


def test_finishing_twice_returns_the_checkin_once(answers: CheckinAnswers) -> None:
    answers.answer(P, "mood", 2, 100.0)
    assert answers.finish(P, 200.0, completed=True) is not None
    assert answers.finish(P, 201.0, completed=True) is None
    assert len(answers.recent(P, 10)) == 1


def test_a_replayed_finishing_turn_opens_no_new_checkin(answers: CheckinAnswers) -> None:
    effects = [
        {"type": "checkin_answer", "question": "mediator", "value": "ja"},
        {"type": "handoff_requested", "reason": "participant_asked"},
        {"type": "checkin_completed"},
    ]
    answers.answer(P, "mood", 3, 50.0, turn=_turn(1))
    first = answers.apply_effects(P, effects, 100.0, turn=_turn(2))
    replayed = answers.apply_effects(P, effects, 130.0, turn=_turn(2))
    assert [record.completed for record in first] == [True]
    assert first[0].requests == (TALK_TO_MEDIATOR,)
    assert replayed == []
    assert answers.current(P) is None
    assert len(answers.recent(P, 10)) == 1
    # The same through the single calls.
    assert answers.answer(P, "mediator", "ja", 140.0, turn=_turn(2)) is None
    assert answers.current(P) is None


def test_an_abandoned_checkin_is_finished_as_left_part_way(answers: CheckinAnswers) -> None:
    answers.answer(P, "mood", 2, 100.0)
    answers.answer(P, "contact", "nej", 110.0)
    record = answers.finish(P, 90_000.0, completed=False)
    assert record is not None and not record.completed
    assert list(record.answers) == ["mood", "contact"]


def test_a_new_form_closes_the_open_checkin_as_left_part_way(answers: CheckinAnswers) -> None:
    answers.answer(P, "mood", 2, 100.0, turn=_turn(1))
    answers.answer(P, "contact", "nej", 110.0, turn=_turn(2))
    left = answers.answer(P, "mood", 4, 500.0, turn=_turn(3))
    assert left is not None and not left.completed
    assert left.finished_at == 110.0  # its last answer
    current = answers.current(P)
    assert current is not None and list(current.answers) == ["mood"]
    assert current.mood == 4


def test_an_idle_open_checkin_is_closed_when_the_next_one_begins(answers: CheckinAnswers) -> None:
    answers.answer(P, "mood", 2, 100.0)
    left = answers.answer(P, "contact", "ja", 100.0 + 25 * HOUR)
    assert left is not None and list(left.answers) == ["mood"]
    current = answers.current(P)
    assert current is not None and list(current.answers) == ["contact"]


def test_risk_and_requests_are_noted_only_during_a_checkin(answers: CheckinAnswers) -> None:
    answers.risk_seen(P, "high")
    answers.requested(P, TALK_TO_MEDIATOR)
    assert answers.current(P) is None
    answers.answer(P, "mood", 1, 100.0, risk_level="elevated")
    answers.answer(P, "harm_thoughts", "ibland", 110.0, risk_level=RiskLevel.HIGH)
    answers.risk_seen(P, "none")
    answers.risk_seen(P, RiskLevel.IMMINENT)
    answers.risk_seen(P, "high")
    answers.requested(P, TALK_TO_MEDIATOR)
    answers.requested(P, TALK_TO_MEDIATOR)
    record = answers.finish(P, 120.0, completed=False)
    assert record is not None
    assert record.risk_levels == ("imminent", "high", "elevated")
    assert record.answers["harm_thoughts"].risk == "high"
    assert record.requests == (TALK_TO_MEDIATOR,)
    with pytest.raises(ValueError):
        answers.requested(P, "Talk to @room")


def test_only_a_participants_own_request_for_a_person_is_noted(answers: CheckinAnswers) -> None:
    answers.apply_effects(
        P,
        [
            {"type": "checkin_answer", "question": "mood", "value": 1},
            {"type": "risk_flag", "level": "high", "signals": ["self_harm"]},
            {"type": "handoff_requested", "reason": "distress"},
        ],
        100.0,
    )
    record = answers.current(P)
    assert record is not None
    assert record.risk_levels == ("high",) and record.requests == ()


def test_a_malformed_effect_is_skipped_and_the_rest_applied(
    answers: CheckinAnswers, warnings: list[str]
) -> None:
    closed = answers.apply_effects(
        P,
        [
            {"type": "checkin_answer", "question": "Mood!", "value": 3},
            {"type": "checkin_answer", "question": "mood", "value": True},
            {"type": "checkin_answer", "question": "stress", "value": "lite"},
            {"type": "checkin_completed"},
        ],
        100.0,
    )
    assert [list(record.answers) for record in closed] == [["stress"]]
    assert warnings == ["checkin_answer_skipped"] * 2


def test_history_is_capped_newest_first(vault: Vault) -> None:
    answers = CheckinAnswers(vault, keep=3)
    for week in range(5):
        answers.answer(P, "mood", week % 5 + 1, week * 100.0)
        answers.finish(P, week * 100.0 + 10, completed=True)
    recent = answers.recent(P, 10)
    assert [record.mood for record in recent] == [5, 4, 3]
    assert answers.recent(P, 2) == recent[:2]
    assert answers.recent(P, 0) == []


def test_a_long_answer_is_stored_cut(answers: CheckinAnswers) -> None:
    answers.answer(P, "stress", "x" * 100_000, 100.0)
    record = answers.current(P)
    assert record is not None
    assert len(str(record.answers["stress"].value)) == MAX_STORED_CHARS


def test_shredding_the_participant_takes_the_answers_with_them(
    answers: CheckinAnswers, vault: Vault
) -> None:
    answers.answer(P, "mood", 3, 100.0)
    answers.finish(P, 110.0, completed=True)
    answers.answer(P, "mood", 2, 200.0)
    vault.shred(P)
    assert answers.recent(P, 10) == []
    assert answers.current(P) is None
    with pytest.raises(ShreddedError):
        answers.answer(P, "mood", 4, 300.0)


def test_answers_are_sealed_not_stored_in_the_clear(
    answers: CheckinAnswers, store: MemoryStore
) -> None:
    answers.answer(P, "harm_thoughts", "Jag tänker på att skada henne", 100.0)
    raw = b"".join(store.records.values())
    assert b"skada" not in raw and b"harm_thoughts" not in raw


def test_records_round_trip_as_json(answers: CheckinAnswers) -> None:
    answers.answer(P, "mood", 4, 100.0, "high", turn=_turn(1))
    answers.requested(P, TALK_TO_MEDIATOR)
    record = answers.finish(P, 110.0, completed=True, turn=_turn(2))
    assert record is not None
    assert record_from_json(json.loads(json.dumps(record_to_json(record)))) == record


def test_a_malformed_record_is_skipped_with_a_content_free_warning(
    answers: CheckinAnswers, vault: Vault, warnings: list[str]
) -> None:
    answers.answer(P, "mood", 4, 100.0)
    good = answers.finish(P, 110.0, completed=True)
    assert good is not None
    book = vault.get("checkin_answers", P, "book")
    assert isinstance(book, dict)
    book["history"] = [
        {"id": "old", "answers": "Jag mår dåligt"},  # an older shape
        record_to_json(good),
        {**record_to_json(good), "completed": "yes"},
        "garbage",
    ]
    book["current"] = {"id": 7}
    vault.put("checkin_answers", P, "book", book)
    assert answers.recent(P, 10) == [good]
    assert warnings == ["checkin_record_skipped"] * 4  # one per record, never its text
    assert answers.current(P) is None
    # The next change writes back what could be read.
    answers.answer(P, "mood", 3, 200.0)
    warnings.clear()
    assert answers.recent(P, 10) == [good]
    assert warnings == []


def test_an_unreadable_book_reads_as_empty(
    answers: CheckinAnswers, vault: Vault, warnings: list[str]
) -> None:
    vault.put("checkin_answers", P, "book", ["not", "a", "book"])
    assert answers.recent(P, 10) == []
    assert warnings == ["checkin_answers_unreadable"]
    assert answers.answer(P, "mood", 3, 100.0) is None
    record = answers.current(P)
    assert record is not None and record.mood == 3
