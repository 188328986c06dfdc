"""A check-in's answers, and the check-in as the mediator's desk reads it. Pure.

The records are stored by ``bot.state.checkin_answers``.

Staff texts are English, like the pages (bot/escalation/texts.py). Answers are
participant text: each is made inert (no pings, links or markup in Matrix
clients) and cut short, and the whole message stays under ``MAX_SUMMARY_CHARS``
so nine long answers cannot flood the desk.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Final

from bot.escalation.inert import inert_quote

# The check-in form's questions in the order it asks them, with the desk's
# labels (dialogues/actions/checkin.py, QUESTIONS).
LABELS: Final = (
    ("mood", "Mood"),
    ("contact", "Contact with partner"),
    ("agreements", "Agreements / contact ban"),
    ("conflict", "Conflicts"),
    ("substances", "Alcohol and drugs"),
    ("stress", "Stress"),
    ("harm_thoughts", "Thoughts of harm"),
    ("support", "Support"),
    ("mediator", "Wants to talk"),
)
_REQUESTS: Final = {"talk_to_mediator": "to talk with their mediator"}

MAX_ANSWER_CHARS: Final = 300
MAX_SUMMARY_CHARS: Final = 1500
# Tried in turn until the message fits; the last is short enough for nine answers.
_ANSWER_LIMITS: Final = (MAX_ANSWER_CHARS, 200, 120, 80, 50)
TREND_CHECKINS: Final = 8
UNANSWERED: Final = "—"

_BARS: Final = {1: "▁", 2: "▃", 3: "▄", 4: "▆", 5: "█"}
_NO_MOOD: Final = "·"


@dataclass(frozen=True)
class Answer:
    value: str | int
    at: float
    risk: str | None = None  # the screen's level of the message that carried it
    turn: str | None = None  # the event id of that message, for replay


@dataclass(frozen=True)
class CheckinRecord:
    id: str
    started_at: float
    updated_at: float
    # question -> answer, in the order they were given
    answers: Mapping[str, Answer] = field(default_factory=dict)
    risk_levels: tuple[str, ...] = ()  # highest first
    requests: tuple[str, ...] = ()  # in the order asked
    finished_at: float | None = None
    completed: bool = False  # False once finished: left part-way or missed
    closed_by: str | None = None  # the turn that finished it, if any

    @property
    def is_open(self) -> bool:
        return self.finished_at is None

    @property
    def mood(self) -> int | None:
        """The mood as a number 1-5, or None when it was not answered with one."""
        answer = self.answers.get("mood")
        if answer is None or isinstance(answer.value, bool) or not isinstance(answer.value, int):
            return None
        return answer.value if 1 <= answer.value <= 5 else None


def sparkline(moods: Sequence[int | None]) -> str:
    """One bar per check-in for moods 1 (▁) to 5 (█); '·' where there was no number."""
    return "".join(_bar(mood) for mood in moods)


def _bar(mood: int | None) -> str:
    if mood is None or isinstance(mood, bool):
        return _NO_MOOD
    return _BARS.get(mood, _NO_MOOD)


def summary_text(
    code: str,
    record: CheckinRecord,
    history: Sequence[CheckinRecord],
    *,
    zone: tzinfo,
) -> str:
    """The desk's message for ``record``. ``history`` is the participant's recent
    check-ins, newest first (as ``CheckinAnswers.recent`` returns them); it may
    include ``record`` itself. Times are shown in ``zone``, the deployment's."""
    text = ""
    for limit in _ANSWER_LIMITS:
        text = _summary(code, record, history, zone, limit)
        if len(text) <= MAX_SUMMARY_CHARS:
            break
    return text


def _summary(
    code: str,
    record: CheckinRecord,
    history: Sequence[CheckinRecord],
    zone: tzinfo,
    answer_limit: int,
) -> str:
    lines = [_header(code, record, zone)]
    lines += [f"{label}: {_answer(record, question, answer_limit)}" for question, label in LABELS]
    known = {question for question, _ in LABELS}
    # A question the dialogue added later is still shown, under its slot name.
    lines += [
        f"{_slot_label(question)}: {_answer(record, question, answer_limit)}"
        for question in record.answers
        if question not in known
    ]
    if record.risk_levels:
        lines.append(f"Risk seen during the check-in: {', '.join(record.risk_levels)}")
    trend = _trend(record, history)
    lines.append(f"Mood, last {len(trend)} check-ins (oldest first): {sparkline(trend)}")
    if record.requests:
        asked = ", ".join(_REQUESTS.get(what, inert_quote(what)) for what in record.requests)
        lines.append(f"Asked for: {asked}")
    return "\n".join(lines)


def _slot_label(question: str) -> str:
    return inert_quote(question.replace("_", " "))


def _header(code: str, record: CheckinRecord, zone: tzinfo) -> str:
    if record.completed:
        finished = record.finished_at if record.finished_at is not None else record.updated_at
        return f"📋 {code} · check-in finished {_clock(finished, zone)}"
    answered = sum(1 for question, _ in LABELS if question in record.answers)
    return (
        f"📋 {code} · check-in left part-way after {answered} of {len(LABELS)} questions"
        f" · last answer {_clock(record.updated_at, zone)}"
    )


def _answer(record: CheckinRecord, question: str, limit: int) -> str:
    answer = record.answers.get(question)
    if answer is None:
        return UNANSWERED
    if question == "mood" and record.mood is not None:
        shown = f"{record.mood} of 5"
    else:
        shown = f"«{inert_quote(str(answer.value), limit)}»"
    if answer.risk is not None:
        shown += f" (risk: {answer.risk})"
    return shown


def _trend(record: CheckinRecord, history: Sequence[CheckinRecord]) -> list[int | None]:
    earlier = [past for past in history if past.id != record.id]
    recent = [record, *earlier][:TREND_CHECKINS]
    return [past.mood for past in reversed(recent)]


def _clock(moment: float, zone: tzinfo) -> str:
    return datetime.fromtimestamp(moment, zone).strftime("%Y-%m-%d %H:%M %Z").strip()
