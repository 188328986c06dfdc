"""The mediator's summary of a check-in: complete, short, and inert."""

from __future__ import annotations

import ast
from dataclasses import replace
from datetime import timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.core.checkin_summary import (
    LABELS,
    MAX_SUMMARY_CHARS,
    UNANSWERED,
    Answer,
    CheckinRecord,
    sparkline,
    summary_text,
)

CODE = "P-7K3Q2A"
# 2026-12-06 17:04 UTC, 18:04 in Stockholm
FINISHED = 1796576640.0
UTC = timezone.utc


def _record(
    answers: dict[str, str | int],
    *,
    completed: bool = True,
    id: str = "c1",
    risk_levels: tuple[str, ...] = (),
    requests: tuple[str, ...] = (),
) -> CheckinRecord:
    return CheckinRecord(
        id=id,
        started_at=FINISHED - 300,
        updated_at=FINISHED - 60,
        answers={question: Answer(value, FINISHED - 60) for question, value in answers.items()},
        risk_levels=risk_levels,
        requests=requests,
        finished_at=FINISHED,
        completed=completed,
    )


def _answer_lines(text: str) -> list[str]:
    return text.splitlines()[1 : 1 + len(LABELS)]


def test_sparkline_edges() -> None:
    assert sparkline([]) == ""
    assert sparkline([None, None, None]) == "···"
    assert sparkline([1, 5]) == "▁█"
    assert sparkline([1, 2, 3, 4, 5]) == "▁▃▄▆█"
    assert sparkline([0, 6, None, 3]) == "···▄"


def test_the_labels_follow_the_forms_questions() -> None:
    source = Path(__file__).resolve().parents[2] / "dialogues" / "actions" / "checkin.py"
    for node in ast.parse(source.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.AnnAssign) and ast.unparse(node.target) == "QUESTIONS":
            assert node.value is not None
            questions = ast.literal_eval(node.value)
    assert tuple(question for question, _ in LABELS) == questions


def test_every_question_is_listed_in_order_and_unanswered_ones_show_a_dash() -> None:
    text = summary_text(CODE, _record({"mood": 4, "stress": "lite"}), [], zone=UTC)
    lines = _answer_lines(text)
    assert [line.split(":")[0] for line in lines] == [label for _, label in LABELS]
    assert lines[0] == "Mood: 4 of 5"
    assert lines[5] == "Stress: «lite»"
    assert lines[1] == f"Contact with partner: {UNANSWERED}"


def test_a_finished_checkin_has_its_time_in_the_deployments_zone() -> None:
    record = _record({"mood": 4})
    stockholm = summary_text(CODE, record, [], zone=ZoneInfo("Europe/Stockholm"))
    assert stockholm.splitlines()[0] == "📋 P-7K3Q2A · check-in finished 2026-12-06 18:04 CET"
    assert "2026-12-06 17:04 UTC" in summary_text(CODE, record, [], zone=UTC)


def test_an_abandoned_checkin_says_how_far_it_got() -> None:
    record = _record({"mood": 2, "contact": "ja", "agreements": "ja", "conflict": "nej"})
    text = summary_text(CODE, replace(record, completed=False), [], zone=UTC)
    assert text.splitlines()[0] == (
        "📋 P-7K3Q2A · check-in left part-way after 4 of 9 questions"
        " · last answer 2026-12-06 17:03 UTC"
    )
    assert _answer_lines(text)[4] == f"Alcohol and drugs: {UNANSWERED}"


def test_risk_requests_and_a_mood_in_words_are_shown() -> None:
    record = _record(
        {"mood": "3 men trött", "mediator": "ja"},
        risk_levels=("high", "elevated"),
        requests=("talk_to_mediator",),
    )
    text = summary_text(CODE, record, [], zone=UTC)
    assert "Mood: «3 men trött»" in text
    assert "Risk seen during the check-in: high, elevated" in text
    assert "Asked for: to talk with their mediator" in text


def test_no_risk_line_without_risk_and_no_request_line_without_requests() -> None:
    text = summary_text(CODE, _record({"mood": 4}), [], zone=UTC)
    assert "Risk" not in text and "Asked for" not in text


def test_the_mood_trend_runs_oldest_first_and_counts_the_checkin_once() -> None:
    record = _record({"mood": 5}, id="now")
    history = [
        record,  # as recent() returns it right after finish()
        _record({"mood": "inte bra"}, id="b"),
        _record({"mood": 1}, id="a"),
    ]
    text = summary_text(CODE, record, history, zone=UTC)
    assert "Mood, last 3 check-ins (oldest first): ▁·█" in text


def test_the_trend_shows_at_most_eight_checkins() -> None:
    history = [_record({"mood": 1}, id=str(n)) for n in range(20)]
    text = summary_text(CODE, _record({"mood": 5}, id="now"), history, zone=UTC)
    assert "Mood, last 8 check-ins (oldest first): ▁▁▁▁▁▁▁█" in text


def test_answers_are_inert_and_cut() -> None:
    hostile = (
        "@room <b>x</b> **x** https://matrix.to/#/@mediator:example.org\n\nnew line " + "y" * 5000
    )
    text = summary_text(CODE, _record({"stress": hostile}), [], zone=UTC)
    stress = _answer_lines(text)[5]
    assert len(text.splitlines()) == 1 + len(LABELS) + 1  # no line break got through
    for live in ("@", "<b>", "**", "matrix.to", "https://", "#"):
        assert live not in text
    assert stress.endswith("…»")
    assert len(stress) < 350


def test_nine_long_answers_still_fit_one_message() -> None:
    record = _record({question: "word " * 400 for question, _ in LABELS})
    text = summary_text(CODE, record, [], zone=UTC)
    assert len(text) <= MAX_SUMMARY_CHARS
    assert [line.split(":")[0] for line in _answer_lines(text)] == [label for _, label in LABELS]


def test_a_question_the_dialogue_added_later_is_still_shown() -> None:
    text = summary_text(CODE, _record({"mood": 3, "sleep": "dåligt"}), [], zone=UTC)
    assert "sleep: «dåligt»" in text
