"""Each participant's check-in answers, sealed in the vault under their own key.

A mediator needs what was answered, not only that a check-in happened. All of a
participant's check-ins live in one record (the open one and the finished
history), so every change is one atomic write: a crash can never leave a
check-in both open and finished. Shredding the participant removes it with
everything else of theirs.

Effects are re-applied when a turn is replayed after a crash, so every change
is idempotent: answers are keyed by question (the last value wins), risk levels
and requests are sets, and the turn that finished a check-in is remembered so
its replayed answers do not open a new one.

A check-in is opened by its first answer (the dialogue reports no start of its
own, and participants may start one themselves). The open check-in is closed
as left part-way when the next check-in's answers begin: when it has been idle
for ``stale_after``, or when another turn answers a question it already holds
(the form asks each question once, so that can only be a new form).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Final

from bot import logs
from bot.core.checkin_summary import Answer, CheckinRecord
from safety.risk.levels import RiskLevel
from safety.vault import Vault

_KIND: Final = "checkin_answers"
_KEY: Final = "book"
_FORMAT: Final = 1

KEEP_CHECKINS: Final = 52  # a year of weekly check-ins
# The summary shows far less; the cap keeps one participant's record bounded.
MAX_STORED_CHARS: Final = 1000
STALE_AFTER: Final = 24 * 3600.0  # CheckinTiming.missed_after
TALK_TO_MEDIATOR: Final = "talk_to_mediator"

_SLUG = re.compile(r"[a-z][a-z0-9_]{0,63}\Z")
_RISK_LEVELS: Final = tuple(level.value for level in RiskLevel if level is not RiskLevel.NONE)


class MalformedRecord(ValueError):
    """A stored record that does not have the shape this module writes."""


@dataclass
class _Book:
    """Everything stored for one participant."""

    current: CheckinRecord | None = None
    history: list[CheckinRecord] = field(default_factory=list)  # newest first
    last_closed_turn: str | None = None


class CheckinAnswers:
    def __init__(
        self, vault: Vault, *, keep: int = KEEP_CHECKINS, stale_after: float = STALE_AFTER
    ) -> None:
        self._vault = vault
        self._keep = keep
        self._stale_after = stale_after

    def answer(
        self,
        pseudonym: str,
        question: str,
        value: str | int,
        at: float,
        risk_level: str | RiskLevel | None = None,
        *,
        turn: str | None = None,
    ) -> CheckinRecord | None:
        """Note one answer in the open check-in, opening one if needed.

        Pass the message's event id as ``turn`` so a replayed turn is recognised.
        Returns an earlier check-in if this answer closed it as left part-way
        (see the module docstring), for the mediator's desk; otherwise None.
        """
        _check_answer(question, value)
        closed: list[CheckinRecord] = []
        self._change(
            pseudonym,
            lambda book: self._answer(book, question, value, at, risk_level, turn, closed),
        )
        return closed[0] if closed else None

    def risk_seen(self, pseudonym: str, level: str | RiskLevel) -> None:
        """Note a risk level seen during the open check-in; nothing if none is open."""
        self._change(pseudonym, lambda book: _risk_seen(book, level))

    def requested(self, pseudonym: str, what: str) -> None:
        """Note something the participant asked for during the open check-in, such as
        ``TALK_TO_MEDIATOR``; nothing if none is open."""
        if not _SLUG.match(what):
            raise ValueError("a request is a lower-case name such as talk_to_mediator")
        self._change(pseudonym, lambda book: _requested(book, what))

    def finish(
        self, pseudonym: str, at: float, completed: bool, *, turn: str | None = None
    ) -> CheckinRecord | None:
        """Close the open check-in (finished, or left part-way / missed) and return it.
        None if no check-in is open, so finishing twice returns it once."""
        closed: list[CheckinRecord] = []
        self._change(pseudonym, lambda book: self._finish(book, at, completed, turn, closed))
        return closed[0] if closed else None

    def apply_effects(
        self,
        pseudonym: str,
        effects: Iterable[Mapping[str, object]],
        at: float,
        *,
        turn: str | None = None,
        risk_level: str | RiskLevel | None = None,
    ) -> list[CheckinRecord]:
        """One turn's (schema-validated) effects in one write: answers, risk flags,
        a request for a person, a finished check-in. Returns the check-ins the turn
        closed, oldest first, for the mediator's desk."""
        closed: list[CheckinRecord] = []

        def change(book: _Book) -> None:
            for effect in effects:
                self._effect(book, effect, at, turn, risk_level, closed)

        self._change(pseudonym, change)
        return closed

    def current(self, pseudonym: str) -> CheckinRecord | None:
        return self._load(pseudonym).current

    def recent(self, pseudonym: str, n: int) -> list[CheckinRecord]:
        """The last ``n`` finished check-ins, newest first."""
        return self._load(pseudonym).history[: max(n, 0)]

    # -- changes -------------------------------------------------------------

    def _effect(
        self,
        book: _Book,
        effect: Mapping[str, object],
        at: float,
        turn: str | None,
        risk_level: str | RiskLevel | None,
        closed: list[CheckinRecord],
    ) -> None:
        kind = effect.get("type")
        if kind == "checkin_answer":
            question, value = effect.get("question"), effect.get("value")
            if isinstance(question, str) and isinstance(value, str | int):
                if _valid_answer(question, value):
                    self._answer(book, question, value, at, risk_level, turn, closed)
                    return
            logs.warning("checkin_answer_skipped", reason="malformed_effect")
        elif kind == "risk_flag" and isinstance(effect.get("level"), str):
            _risk_seen(book, str(effect["level"]))
        elif kind == "handoff_requested" and effect.get("reason") == "participant_asked":
            _requested(book, TALK_TO_MEDIATOR)
        elif kind == "checkin_completed":
            self._finish(book, at, True, turn, closed)

    def _answer(
        self,
        book: _Book,
        question: str,
        value: str | int,
        at: float,
        risk_level: str | RiskLevel | None,
        turn: str | None,
        closed: list[CheckinRecord],
    ) -> None:
        record = book.current
        if record is None and turn is not None and turn == book.last_closed_turn:
            return  # the turn that finished the last check-in, replayed
        if record is not None and self._begins_another(record, question, at, turn):
            self._finish(book, record.updated_at, False, None, closed)
            record = None
        if record is None:
            record = CheckinRecord(id=secrets.token_hex(6), started_at=at, updated_at=at)
        risk = _level_name(risk_level)
        if isinstance(value, str) and len(value) > MAX_STORED_CHARS:
            value = value[: MAX_STORED_CHARS - 1] + "…"
        answers = {**record.answers, question: Answer(value, at, risk, turn)}
        book.current = replace(
            record,
            answers=answers,
            updated_at=max(record.updated_at, at),
            risk_levels=_with_level(record.risk_levels, risk),
        )

    def _begins_another(
        self, record: CheckinRecord, question: str, at: float, turn: str | None
    ) -> bool:
        if at - record.updated_at > self._stale_after:
            return True
        earlier = record.answers.get(question)
        return (
            earlier is not None
            and turn is not None
            and earlier.turn is not None
            and earlier.turn != turn
        )

    def _finish(
        self,
        book: _Book,
        at: float,
        completed: bool,
        turn: str | None,
        closed: list[CheckinRecord],
    ) -> None:
        if book.current is None:
            return
        record = replace(book.current, finished_at=at, completed=completed, closed_by=turn)
        book.current = None
        book.history = [record, *book.history][: self._keep]
        book.last_closed_turn = turn
        closed.append(record)

    # -- storage -------------------------------------------------------------

    def _change(self, pseudonym: str, change: Callable[[_Book], None]) -> None:
        book = self._load(pseudonym)
        before = _book_to_json(book)
        change(book)
        after = _book_to_json(book)
        if after != before:
            self._vault.put(_KIND, pseudonym, _KEY, after)

    def _load(self, pseudonym: str) -> _Book:
        stored = self._vault.get(_KIND, pseudonym, _KEY)
        if stored is None:
            return _Book()
        if not isinstance(stored, dict) or stored.get("v") != _FORMAT:
            logs.warning("checkin_answers_unreadable", participant=pseudonym)
            return _Book()
        book = _Book(last_closed_turn=_optional_str(stored.get("last_closed_turn")))
        if stored.get("current") is not None:
            current = _read_or_skip(stored["current"], pseudonym)
            book.current = current if current is not None and current.is_open else None
        history = stored.get("history")
        for raw in history if isinstance(history, list) else ():
            record = _read_or_skip(raw, pseudonym)
            if record is not None and not record.is_open:
                book.history.append(record)
        return book


def _risk_seen(book: _Book, level: str | RiskLevel) -> None:
    name = _level_name(level)
    if book.current is not None and name is not None:
        book.current = replace(
            book.current, risk_levels=_with_level(book.current.risk_levels, name)
        )


def _requested(book: _Book, what: str) -> None:
    if book.current is not None and what not in book.current.requests:
        book.current = replace(book.current, requests=(*book.current.requests, what))


def _valid_answer(question: object, value: object) -> bool:
    """A question is a slot name such as mood; an answer is text or a whole number."""
    return (
        isinstance(question, str)
        and _SLUG.match(question) is not None
        and isinstance(value, str | int)
        and not isinstance(value, bool)
    )


def _check_answer(question: str, value: object) -> None:
    if not _valid_answer(question, value):
        raise ValueError("a question is a slot name such as mood; an answer is text or a number")


def _level_name(level: str | RiskLevel | None) -> str | None:
    """A risk level worth noting (elevated or above), or None."""
    name = level.value if isinstance(level, RiskLevel) else level
    return name if name in _RISK_LEVELS else None


def _with_level(levels: tuple[str, ...], level: str | None) -> tuple[str, ...]:
    if level is None or level in levels:
        return levels
    return tuple(sorted((*levels, level), key=_RISK_LEVELS.index, reverse=True))


# -- the stored form -------------------------------------------------------------


def _book_to_json(book: _Book) -> dict[str, Any]:
    return {
        "v": _FORMAT,
        "current": None if book.current is None else record_to_json(book.current),
        "history": [record_to_json(record) for record in book.history],
        "last_closed_turn": book.last_closed_turn,
    }


def record_to_json(record: CheckinRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "started_at": record.started_at,
        "updated_at": record.updated_at,
        "answers": {
            question: {"value": a.value, "at": a.at, "risk": a.risk, "turn": a.turn}
            for question, a in record.answers.items()
        },
        "risk_levels": list(record.risk_levels),
        "requests": list(record.requests),
        "finished_at": record.finished_at,
        "completed": record.completed,
        "closed_by": record.closed_by,
    }


def record_from_json(raw: object) -> CheckinRecord:
    """Raises MalformedRecord for anything this module did not write."""
    if not isinstance(raw, dict):
        raise MalformedRecord("not an object")
    answers_raw = raw.get("answers")
    if not isinstance(answers_raw, dict):
        raise MalformedRecord("answers")
    answers: dict[str, Answer] = {}
    for question, answer in answers_raw.items():
        if not isinstance(answer, dict):
            raise MalformedRecord("answer")
        value = answer.get("value")
        if not _valid_answer(question, value):
            raise MalformedRecord("answer")
        assert isinstance(value, str | int)  # for the type checker
        answers[question] = Answer(
            value,
            _number(answer.get("at")),
            _level_name(_optional_str(answer.get("risk"))),
            _optional_str(answer.get("turn")),
        )
    finished_at = raw.get("finished_at")
    completed = raw.get("completed")
    if not isinstance(completed, bool):
        raise MalformedRecord("completed")
    return CheckinRecord(
        id=_text(raw.get("id")),
        started_at=_number(raw.get("started_at")),
        updated_at=_number(raw.get("updated_at")),
        answers=answers,
        risk_levels=tuple(
            level for level in _texts(raw.get("risk_levels")) if _level_name(level) is not None
        ),
        requests=_texts(raw.get("requests")),
        finished_at=None if finished_at is None else _number(finished_at),
        completed=completed,
        closed_by=_optional_str(raw.get("closed_by")),
    )


def _read_or_skip(raw: object, pseudonym: str) -> CheckinRecord | None:
    try:
        return record_from_json(raw)
    except MalformedRecord:
        # Never the record itself: it holds what the participant wrote.
        logs.warning("checkin_record_skipped", participant=pseudonym)
        return None


def _number(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise MalformedRecord("number")
    return float(value)


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise MalformedRecord("text")
    return value


def _optional_str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _texts(value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise MalformedRecord("list of text")
    return tuple(value)
