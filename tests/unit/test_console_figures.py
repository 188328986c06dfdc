"""Escalation response figures for the supervisor console (pure, no vault)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.console.figures import escalation_figures, percentile, response_seconds
from bot.ids import ParticipantId, participant_code
from safety.escalation.policy import EscalationPolicy
from safety.escalation.record import Escalation, acknowledge, open_escalation, reescalate, resolve

POLICY = EscalationPolicy({"imminent": 300.0, "high": 3600.0, "handoff": 3600.0})
T0 = 1_800_000_000.0


def _opened(code: str, level: str, at: float, participant: str = "pabcdefghijk") -> Escalation:
    return open_escalation(
        code=code,
        participant=participant,
        participant_code=participant_code(ParticipantId(participant)),
        level=level,
        signals=("threat",),
        quote=None,
        now=at,
        policy=POLICY,
    )


@pytest.mark.parametrize(
    ("values", "percent", "expected"),
    [
        ([50.0, 10.0, 40.0, 20.0, 30.0], 50, 30.0),
        ([50.0, 10.0, 40.0, 20.0, 30.0], 90, 50.0),
        ([10.0, 20.0, 30.0, 40.0], 50, 20.0),
        ([7.0], 90, 7.0),
        ([], 50, None),
    ],
)
def test_percentile_is_nearest_rank(
    values: list[float], percent: float, expected: float | None
) -> None:
    assert percentile(values, percent) == expected


def test_response_time_runs_to_the_first_acknowledgement_not_a_later_resolve() -> None:
    esc = acknowledge(_opened("E-AAAAAA", "high", T0), "staff:x", T0 + 42)
    esc = resolve(esc, "staff:x", T0 + 900)
    assert response_seconds(esc) == 42.0


def test_a_resolve_without_acknowledgement_ends_the_response_time() -> None:
    assert response_seconds(resolve(_opened("E-AAAAAA", "high", T0), "staff:x", T0 + 7)) == 7.0
    assert response_seconds(_opened("E-AAAAAA", "high", T0)) is None


def test_figures_per_level() -> None:
    answered = [
        acknowledge(_opened(f"E-HIGH0{i}", "high", T0 + i), "staff:x", T0 + i + delay)
        for i, delay in enumerate((30.0, 10.0, 20.0))
    ]
    late = reescalate(_opened("E-LATE01", "high", T0), T0 + 3600, POLICY)
    late_then_acked = acknowledge(
        reescalate(_opened("E-LATE02", "high", T0), T0 + 3600, POLICY), "staff:y", T0 + 4000
    )
    imminent = resolve(_opened("E-IMMI01", "imminent", T0), "staff:z", T0 + 5)
    figures = escalation_figures([*answered, late, late_then_acked, imminent], T0 + 5000)

    by_level = {level.level: level for level in figures.levels}
    assert [level.level for level in figures.levels] == ["imminent", "high", "handoff"]
    high = by_level["high"]
    assert (high.count, high.acknowledged, high.reescalated, high.still_open) == (5, 4, 2, 1)
    assert (high.p50_seconds, high.p90_seconds, high.max_seconds) == (20.0, 4000.0, 4000.0)
    imminent_figures = by_level["imminent"]
    assert (imminent_figures.count, imminent_figures.acknowledged) == (1, 1)
    assert imminent_figures.p50_seconds == 5.0
    handoff = by_level["handoff"]
    assert (handoff.count, handoff.acknowledged, handoff.p50_seconds) == (0, 0, None)


def test_open_escalations_most_urgent_level_first_then_oldest() -> None:
    pseudonym = "pqrstuvwxyzab"
    newer_high = _opened("E-HIGH02", "high", T0 + 60, pseudonym)
    older_high = reescalate(_opened("E-HIGH01", "high", T0), T0 + 3600, POLICY)
    imminent = _opened("E-IMMI01", "imminent", T0 + 120)
    closed = acknowledge(_opened("E-DONE01", "imminent", T0), "staff:x", T0 + 1)
    figures = escalation_figures([newer_high, closed, older_high, imminent], T0 + 3660)

    assert [esc.code for esc in figures.open] == ["E-IMMI01", "E-HIGH01", "E-HIGH02"]
    first_high = figures.open[1]
    assert first_high.age_seconds == 3660.0
    assert first_high.reescalations == 1
    assert figures.open[2].participant_code == participant_code(ParticipantId(pseudonym))
    assert figures.open[2].participant_code.startswith("P-")
    assert all(esc.state == "open" for esc in figures.open)


def test_a_level_outside_the_policy_is_still_counted_after_the_paged_ones() -> None:
    odd = replace(_opened("E-ODD001", "high", T0), level="unexpected")
    figures = escalation_figures([odd], T0 + 1)
    assert [level.level for level in figures.levels][-1] == "unexpected"
    assert figures.levels[-1].count == 1


def test_an_open_escalation_shows_its_chain_and_when_its_answer_is_due() -> None:
    now = 1_000_000.0
    waiting = _opened("E-WAIT01", "high", now - 600)  # due an hour after it opened
    overdue = _opened("E-LATE01", "imminent", now - 600)  # due five minutes after
    climbed = reescalate(_opened("E-UP0001", "high", now - 4000), now - 400, POLICY)
    figures = escalation_figures([waiting, overdue, climbed], now)
    shown = {esc.code: esc for esc in figures.open}
    assert shown["E-WAIT01"].due_in_seconds == 3000
    assert shown["E-WAIT01"].paged == ("assigned",)
    assert shown["E-LATE01"].due_in_seconds == -300
    assert shown["E-LATE01"].paged == ("assigned", "on_call")
    assert shown["E-UP0001"].paged == ("assigned", "on_call")
    assert shown["E-UP0001"].due_in_seconds == 3200  # a fresh deadline at re-escalation
