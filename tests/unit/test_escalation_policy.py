from __future__ import annotations

from datetime import datetime, timezone

import pytest

from safety.errors import ConfigError
from safety.escalation.policy import (
    ASSIGNED,
    CHAIN,
    ON_CALL,
    SUPERVISOR,
    EscalationPolicy,
    QuietHours,
    next_roles,
)
from safety.escalation.record import (
    ACKNOWLEDGED,
    RESOLVED,
    Escalation,
    acknowledge,
    is_due,
    notice_sent,
    open_escalation,
    reescalate,
    resolve,
)

POLICY = EscalationPolicy(ack_seconds={"imminent": 60, "high": 600, "handoff": 900})
NIGHT = QuietHours.parse("22:00-07:00")


def at(hour: int) -> float:
    return datetime(2026, 11, 21, hour, 30, tzinfo=timezone.utc).timestamp()


def opened(level: str = "high", now: float = 1000.0, policy: EscalationPolicy = POLICY):
    return open_escalation(
        code="E-ABCDEF",
        participant="p1",
        participant_code="P-ABCDEF",
        level=level,
        signals=("weapon",),
        quote=None,
        now=now,
        policy=policy,
    )


def test_imminent_pages_assigned_and_on_call_at_once_even_at_night() -> None:
    night_policy = EscalationPolicy(POLICY.ack_seconds, quiet_hours=NIGHT)
    assert opened("imminent", at(3), night_policy).paged == (ASSIGNED, ON_CALL)


def test_high_pages_assigned_by_day_and_on_call_at_night() -> None:
    night_policy = EscalationPolicy(POLICY.ack_seconds, quiet_hours=NIGHT)
    assert opened("high", at(12), night_policy).paged == (ASSIGNED,)
    assert opened("high", at(23), night_policy).paged == (ON_CALL,)
    assert opened("high", at(3), night_policy).paged == (ON_CALL,)


def test_quiet_hours_respect_the_utc_offset() -> None:
    stockholm = QuietHours.parse("22:00-07:00", utc_offset_minutes=60)
    assert stockholm.contains(at(21))  # 22:30 local
    assert not stockholm.contains(at(20))


def test_quiet_hours_follow_daylight_saving_in_a_zone() -> None:
    from datetime import datetime, timezone
    from zoneinfo import ZoneInfo

    stockholm = QuietHours.parse("22:00-07:00", zone=ZoneInfo("Europe/Stockholm"))
    summer_evening = datetime(2026, 7, 1, 20, 30, tzinfo=timezone.utc).timestamp()
    winter_evening = datetime(2026, 1, 15, 20, 30, tzinfo=timezone.utc).timestamp()
    assert stockholm.contains(summer_evening)  # 22:30 in summer time
    assert not stockholm.contains(winter_evening)  # 21:30 in winter


def test_deadlines_come_from_the_policy() -> None:
    assert opened("imminent").deadline == 1000.0 + 60
    assert opened("high").deadline == 1000.0 + 600


def test_every_paged_level_needs_a_deadline() -> None:
    with pytest.raises(ConfigError):
        EscalationPolicy(ack_seconds={"imminent": 60, "high": 600})


def test_chain_goes_assigned_on_call_supervisor_then_everyone() -> None:
    assert next_roles((ASSIGNED,)) == (ON_CALL,)
    assert next_roles((ASSIGNED, ON_CALL)) == (SUPERVISOR,)
    assert next_roles(CHAIN) == CHAIN


def test_missed_deadline_reescalates_with_a_new_deadline_and_notice() -> None:
    esc = opened()
    assert not is_due(esc, 1599.0)
    assert reescalate(esc, 1599.0, POLICY) == esc
    later = reescalate(esc, 1600.0, POLICY)
    assert later.paged == (ASSIGNED, ON_CALL)
    assert later.deadline == 2200.0
    assert [n.kind for n in later.unsent()] == ["page", "reescalated"]
    assert [h[1] for h in later.history] == ["created", "reescalated"]


def test_acknowledged_escalation_never_reescalates() -> None:
    esc = acknowledge(opened(), "@m:x", 1100.0)
    assert esc.state == ACKNOWLEDGED
    assert not is_due(esc, 10_000.0)
    assert reescalate(esc, 10_000.0, POLICY) == esc


def test_resolving_is_final_and_recorded() -> None:
    esc = resolve(opened(), "@boss:x", 1200.0)
    assert esc.state == RESOLVED
    assert resolve(esc, "@other:x", 1300.0) == esc
    assert esc.history[-1][1] == "resolved"


def test_sent_notices_leave_the_outbox_once() -> None:
    esc = opened()
    sent = notice_sent(esc, 0, (("!desk", "$event"),), 1001.0)
    assert sent.unsent() == ()
    assert notice_sent(sent, 0, (("!desk", "$again"),), 1002.0) == sent
    assert sent.notice_events == ("$event",)
    assert sent.notice_places == (("!desk", "$event"),)


def test_record_round_trip() -> None:
    esc = reescalate(opened(), 1600.0, POLICY)
    assert Escalation.from_record(esc.to_record()) == esc
