"""The flow statistics: counted from content-free facts, small groups hidden."""

from __future__ import annotations

from bot.console.flow_stats import (
    DAY_SECONDS,
    HIDDEN,
    NO_SHARE,
    CheckinFact,
    ConsentFact,
    EscalationFact,
    FlowFacts,
    flow_stats,
    share,
    shown,
)
from bot.console.stats_view import NO_SOURCE, stats_block

NOW = 1_800_000_000.0
ALL_ASKED = frozenset({"mood", "contact", "agreements", "conflict", "substances"})


def _checkin(
    answered: frozenset[str] = ALL_ASKED,
    *,
    completed: bool = True,
    finished: bool = True,
    asked: bool = False,
    days_ago: float = 1,
) -> CheckinFact:
    return CheckinFact(NOW - days_ago * DAY_SECONDS, answered, finished, completed, asked)


def _step(stats_steps: tuple[object, ...], label: str) -> int:
    for step in stats_steps:
        if getattr(step, "label", None) == label:
            return int(getattr(step, "count"))  # noqa: B009 - any Step
    raise AssertionError(f"no step {label}")


def test_counts_under_five_are_hidden() -> None:
    assert [shown(n) for n in (0, 1, 4, 5, 17)] == [HIDDEN, HIDDEN, HIDDEN, "5", "17"]


def test_a_share_is_shown_only_when_neither_part_nor_rest_is_a_small_group() -> None:
    assert share(10, 20) == "50 %"
    assert share(20, 20) == "100 %"  # nobody left out is nobody singled out
    assert share(4, 20) == NO_SHARE  # four people
    assert share(17, 20) == NO_SHARE  # the three who did not
    assert share(4, 4) == NO_SHARE  # too few in all
    assert share(0, 20) == NO_SHARE


def test_checkins_give_starts_completion_drop_off_and_handoffs() -> None:
    facts = FlowFacts(
        checkins=(
            *[_checkin() for _ in range(6)],
            *[_checkin(frozenset({"mood"}), completed=False) for _ in range(5)],
            _checkin(frozenset({"mood"}), completed=False, finished=False, asked=True),
            _checkin(days_ago=31),  # older than the window
        )
    )
    stats = flow_stats(facts, NOW)["checkin"]
    assert (stats.started, stats.completed, stats.handoffs) == (12, 6, 1)
    assert _step(stats.steps, "answered: Mood") == 12
    assert _step(stats.steps, "answered: Contact with partner") == 6
    assert _step(stats.steps, "answered: Stress") == 0
    assert _step(stats.steps, "left part-way or missed") == 5
    assert _step(stats.steps, "still open") == 1


def test_consent_counts_given_and_declined_and_withdrawals_are_a_way_out() -> None:
    facts = FlowFacts(
        consents=(
            *[ConsentFact(NOW - 100, "given") for _ in range(7)],
            ConsentFact(NOW - 100, "declined"),
            *[ConsentFact(NOW - 100, "withdrawn") for _ in range(2)],
            ConsentFact(NOW - 40 * DAY_SECONDS, "given"),
        )
    )
    stats = flow_stats(facts, NOW)
    assert (stats["consent"].started, stats["consent"].completed) == (8, 7)
    assert stats["consent"].handoffs is None
    assert _step(stats["ways_out"].steps, "consent withdrawn") == 2


def test_escalations_split_into_the_safety_flow_and_asking_for_a_person() -> None:
    def esc(level: str, *changes: str) -> EscalationFact:
        return EscalationFact(NOW - 3600, level, frozenset({"created", *changes}))

    facts = FlowFacts(
        escalations=(
            esc("imminent", "sent", "acknowledged", "resolved"),
            esc("high", "sent", "reescalated"),
            esc("high"),
            esc("handoff", "sent", "resolved"),
            esc("handoff", "sent"),
        )
    )
    stats = flow_stats(facts, NOW)
    safety = stats["safety"]
    assert (safety.started, safety.completed, safety.handoffs) == (3, 1, 2)
    assert _step(safety.steps, "answered by a person") == 1
    assert _step(safety.steps, "re-escalated") == 1
    ways_out = stats["ways_out"]
    assert (ways_out.started, ways_out.handoffs) == (2, 2)
    assert _step(ways_out.steps, "a person answered") == 1  # a !resolve answers too


def test_flows_the_vault_keeps_no_record_of_have_no_figures() -> None:
    stats = flow_stats(FlowFacts(), NOW)
    assert set(stats) == {"checkin", "consent", "safety", "ways_out"}
    assert "fallback" not in stats and "conversation" not in stats
    assert NO_SOURCE.split(":")[0] in stats_block(None)


def test_the_block_prints_no_small_count_and_no_small_share() -> None:
    facts = FlowFacts(
        checkins=(
            *[_checkin() for _ in range(8)],
            *[_checkin(frozenset({"mood"}), completed=False) for _ in range(3)],
        )
    )
    block = stats_block(flow_stats(facts, NOW)["checkin"])
    assert ">11<" in block and ">8<" in block  # started, completed
    assert ">3<" not in block  # the three who left part-way
    assert "&lt; 5" in block
    assert "73 %" not in block  # 8 of 11 would give the three away


def test_the_report_holds_verdicts_and_figures_and_nothing_to_load() -> None:
    from datetime import timezone

    from bot.console.flows import FlowAudit, FlowLine
    from bot.console.pictures import Picture
    from bot.console.report import flow_report

    audit = FlowAudit(True, 1, 0, 3, (), (FlowLine("rule", "<b>x</b>", "checkin.yml", 0),))
    drawn = [
        Picture("checkin", "checkin.yml", 1, "digraph {}"),
        Picture("fallback", "f.yml", 1, ""),
    ]
    facts = FlowFacts(checkins=tuple(_checkin() for _ in range(6)))
    report = flow_report(audit, drawn, flow_stats(facts, NOW), NOW, timezone.utc)
    assert "the static safety audit passes" in report and "finds nothing in this file" in report
    assert '<td>started</td><td class="n">6</td>' in report
    assert NO_SOURCE.split(":")[0] in report  # the fallback flow has no figures
    assert "<b>x</b>" not in report and "&lt;b&gt;x&lt;/b&gt;" in report
    assert "<script" not in report and "src=" not in report and "href=" not in report
