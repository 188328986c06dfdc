"""Content-free statistics per dialogue flow over the last 30 days. Pure.

The figures come from facts the vault already keeps for other reasons (check-in
answers, consent decisions, escalations), reduced by ``bot.console.flow_facts``
to what is countable: no text, no pseudonym, no participant code. Here they are
only counted. A count under ``SMALL`` is shown as "< 5", and a share only where
neither its part nor the rest is under ``SMALL`` (or the rest is none), so a
figure never stands for one or two people someone could name.

A flow whose steps the vault does not record is absent from the result; the
page says it has no figures rather than inventing some.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from bot.core.checkin_summary import LABELS

STATS_DAYS = 30
DAY_SECONDS = 86_400.0
# Counts under this are shown as "< 5": k-anonymity for the smallest groups.
SMALL = 5
HIDDEN = f"< {SMALL}"
NO_SHARE = "–"
_T = TypeVar("_T")

# Escalation levels as bot.escalation writes them: the safety flow raises the
# first two; "handoff" is a participant asking for a person (a way out).
_RISK_LEVELS = frozenset({"imminent", "high"})
_HANDOFF = "handoff"
_ANSWERED = frozenset({"acknowledged", "resolved"})  # a !resolve also answers


@dataclass(frozen=True)
class CheckinFact:
    started_at: float
    answered: frozenset[str]  # which questions, never what was said
    finished: bool
    completed: bool
    asked_for_mediator: bool


@dataclass(frozen=True)
class ConsentFact:
    at: float
    decision: str  # given, declined, withdrawn


@dataclass(frozen=True)
class EscalationFact:
    created_at: float
    level: str
    changes: frozenset[str]  # created, sent, acknowledged, resolved, …


@dataclass(frozen=True)
class FlowFacts:
    checkins: tuple[CheckinFact, ...] = ()
    consents: tuple[ConsentFact, ...] = ()
    escalations: tuple[EscalationFact, ...] = ()


@dataclass(frozen=True)
class Step:
    label: str
    count: int


@dataclass(frozen=True)
class FlowStats:
    """One flow's figures. ``completed`` and ``handoffs`` are None where the flow
    has no such notion (consent hands nobody over)."""

    based_on: str
    started: int
    completed: int | None
    steps: tuple[Step, ...]
    handoffs: int | None


def shown(count: int) -> str:
    return HIDDEN if count < SMALL else str(count)


def share(part: int, whole: int) -> str:
    """``part`` of ``whole`` in percent, unless it would give away a small group:
    the part, or the rest, being fewer than SMALL (a rest of none is no one)."""
    rest = whole - part
    if whole < SMALL or part < SMALL or 0 < rest < SMALL:
        return NO_SHARE
    return f"{round(100 * part / whole)} %"


def _since(now: float, days: int) -> float:
    return now - days * DAY_SECONDS


def checkin_stats(facts: Sequence[CheckinFact]) -> FlowStats:
    # Questions in the order the form asks them: the drop-off reads down the list.
    steps = [
        Step(f"answered: {label}", sum(1 for f in facts if question in f.answered))
        for question, label in LABELS
    ]
    steps.append(
        Step("left part-way or missed", sum(1 for f in facts if f.finished and not f.completed))
    )
    steps.append(Step("still open", sum(1 for f in facts if not f.finished)))
    return FlowStats(
        based_on="check-ins begun (a check-in begins with its first answer)",
        started=len(facts),
        completed=sum(1 for f in facts if f.completed),
        steps=tuple(steps),
        handoffs=sum(1 for f in facts if f.asked_for_mediator),
    )


def consent_stats(facts: Sequence[ConsentFact]) -> FlowStats:
    given = sum(1 for f in facts if f.decision == "given")
    declined = sum(1 for f in facts if f.decision == "declined")
    return FlowStats(
        based_on="consent decisions recorded (given or declined)",
        started=given + declined,
        completed=given,
        steps=(Step("consent given", given), Step("declined", declined)),
        handoffs=None,
    )


def _answered(fact: EscalationFact) -> bool:
    return bool(fact.changes & _ANSWERED)


def safety_stats(facts: Sequence[EscalationFact]) -> FlowStats:
    risky = [f for f in facts if f.level in _RISK_LEVELS]
    return FlowStats(
        based_on="escalations raised by the safety flow (levels imminent and high)",
        started=len(risky),
        completed=sum(1 for f in risky if "resolved" in f.changes),
        steps=(
            Step("page sent", sum(1 for f in risky if "sent" in f.changes)),
            Step("answered by a person", sum(1 for f in risky if _answered(f))),
            Step("re-escalated", sum(1 for f in risky if "reescalated" in f.changes)),
            Step("resolved", sum(1 for f in risky if "resolved" in f.changes)),
        ),
        handoffs=sum(1 for f in risky if "sent" in f.changes),
    )


def ways_out_stats(
    consents: Sequence[ConsentFact], escalations: Sequence[EscalationFact]
) -> FlowStats:
    withdrawn = sum(1 for f in consents if f.decision == "withdrawn")
    asked = [f for f in escalations if f.level == _HANDOFF]
    return FlowStats(
        based_on=(
            "consent withdrawals and requests for a person; a pause or a deletion "
            "leaves no countable record and is not included"
        ),
        started=withdrawn + len(asked),
        completed=None,
        steps=(
            Step("consent withdrawn", withdrawn),
            Step("asked for a person", len(asked)),
            Step("a person answered", sum(1 for f in asked if _answered(f))),
        ),
        handoffs=len(asked),
    )


def _recent(items: Iterable[_T], at: Callable[[_T], float], since: float, now: float) -> list[_T]:
    return [item for item in items if since <= at(item) <= now]


def flow_stats(facts: FlowFacts, now: float, days: int = STATS_DAYS) -> dict[str, FlowStats]:
    """Figures per flow picture (by its name: "checkin", "consent", …) over the
    ``days`` before ``now``. Pictures with no countable record are left out."""
    since = _since(now, days)
    checkins = _recent(facts.checkins, lambda f: f.started_at, since, now)
    consents = _recent(facts.consents, lambda f: f.at, since, now)
    escalations = _recent(facts.escalations, lambda f: f.created_at, since, now)
    return {
        "checkin": checkin_stats(checkins),
        "consent": consent_stats(consents),
        "safety": safety_stats(escalations),
        "ways_out": ways_out_stats(consents, escalations),
    }
