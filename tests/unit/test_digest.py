"""The daily digest of elevated risk: when it is due, what it says, what it keeps."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from pathlib import Path

import pytest

from bot.core.digest import DigestLine, Noted, digest_body, digest_day_due
from bot.core.model import Participant
from bot.ids import MatrixUserId, ParticipantId
from bot.state.checkins import CheckinStore
from bot.state.digest import MAX_NOTES, DigestStore
from bot.turns.risk_memory import RiskMemory
from safety.risk.levels import RiskLevel
from safety.vault import Vault, load_or_create_key_file

ZONE = timezone(timedelta(minutes=60))
EIGHT = time(8, 0)


def at_local(hour: int, minute: int = 0) -> float:
    return datetime(2026, 11, 19, hour, minute, tzinfo=ZONE).timestamp()


@pytest.fixture
def vault(tmp_path: Path) -> Vault:
    return Vault(tmp_path / "vault.db", load_or_create_key_file(tmp_path / "kek.hex", create=True))


def test_the_digest_is_due_once_a_day_after_its_time() -> None:
    assert digest_day_due(at_local(7, 59), EIGHT, ZONE, None) is None
    assert digest_day_due(at_local(8, 0), EIGHT, ZONE, None) == "2026-11-19"
    assert digest_day_due(at_local(15), EIGHT, ZONE, "2026-11-18") == "2026-11-19"
    assert digest_day_due(at_local(15), EIGHT, ZONE, "2026-11-19") is None


def test_the_digest_names_codes_and_categories_only() -> None:
    body = digest_body(
        "2026-11-19",
        [
            DigestLine("P-BBBBBB", None, (Noted(("substance_relapse",), 1.0),)),
            DigestLine(
                "P-AAAAAA",
                "@m:localhost",
                (Noted(("property_damage",), 1.0), Noted(("substance_relapse",), 2.0)),
            ),
        ],
    )
    assert "2 participant(s)" in body
    assert "P-AAAAAA (mediator @m:localhost): property_damage, substance_relapse · 2 times" in body
    assert "P-BBBBBB: substance_relapse · 1 time" in body
    assert body.index("P-BBBBBB") < body.index("P-AAAAAA")  # no mediator sorts first
    assert "no elevated risk" in digest_body("2026-11-19", [])


def test_notes_are_kept_until_the_cutoff_and_bounded(vault: Vault) -> None:
    store = DigestStore(vault)
    store.note("p-1", ("property_damage",), 10.0)
    store.note("p-1", ("substance_relapse",), 20.0)
    store.note("p-2", ("rage",), 30.0)
    assert set(store.pending(up_to=25.0)) == {"p-1"}
    store.clear_up_to(15.0)
    assert store.pending(up_to=100.0) == {
        "p-1": (Noted(("substance_relapse",), 20.0),),
        "p-2": (Noted(("rage",), 30.0),),
    }
    for n in range(MAX_NOTES + 10):
        store.note("p-3", ("rage",), 100.0 + n)
    assert len(store.pending(up_to=1e9)["p-3"]) == MAX_NOTES
    vault.shred("p-1")
    assert "p-1" not in store.pending(up_to=1e9)


def participant() -> Participant:
    return Participant(ParticipantId("p-9"), MatrixUserId("@x:localhost"), "sv")


def test_elevated_risk_is_noted_and_high_risk_remembered(vault: Vault) -> None:
    memory = RiskMemory(CheckinStore(vault), DigestStore(vault))
    memory.message(participant(), RiskLevel.NONE)
    memory.message(participant(), RiskLevel.ELEVATED, ["property_damage", "property_damage"])
    notes = DigestStore(vault).pending(up_to=1e12)["p-9"]
    assert [n.signals for n in notes] == [("property_damage",)]
    state, _ = CheckinStore(vault).get("p-9")
    assert state.last_message_at is not None and state.last_high_at is None
    memory.message(participant(), RiskLevel.IMMINENT)
    assert CheckinStore(vault).get("p-9")[0].last_high_at is not None


def test_falling_mood_over_three_check_ins_goes_to_the_digest(vault: Vault) -> None:
    memory = RiskMemory(CheckinStore(vault), DigestStore(vault))
    for mood in (4, 3):
        memory.effects(
            participant(), [{"type": "checkin_answer", "question": "mood", "value": mood}]
        )
        memory.effects(participant(), [{"type": "checkin_completed"}])
    assert DigestStore(vault).pending(up_to=1e12) == {}
    memory.effects(
        participant(),
        [{"type": "checkin_answer", "question": "mood", "value": 2}, {"type": "checkin_completed"}],
    )
    notes = DigestStore(vault).pending(up_to=1e12)["p-9"]
    assert [n.signals for n in notes] == [("trend_rising_stress",)]
    assert CheckinStore(vault).get("p-9")[0].stress_scores == (2, 3, 4)


def test_a_missed_check_in_goes_to_the_digest(vault: Vault) -> None:
    memory = RiskMemory(CheckinStore(vault), DigestStore(vault))
    memory.checkin_missed(participant())
    notes = DigestStore(vault).pending(up_to=1e12)["p-9"]
    assert [n.signals for n in notes] == [("missed_checkin",)]


def test_flow_counts_add_up_per_day_and_old_days_are_dropped(vault: Vault) -> None:
    from bot.state.flow_counts import KEEP_DAYS, FlowCounts

    counts = FlowCounts(vault, ZONE)
    day = 86_400.0
    now = at_local(12)
    counts.add(["paused"], now - (KEEP_DAYS + 5) * day)
    counts.add(["paused"], now - (KEEP_DAYS + 5) * day)
    assert counts.totals(KEEP_DAYS + 10, now) == {"paused": 2}
    # A new day's first count drops every day older than KEEP_DAYS.
    counts.add(["consent_given", "checkin_completed"], now - day)
    counts.add(["checkin_completed"], now)
    assert counts.totals(KEEP_DAYS + 10, now) == {"consent_given": 1, "checkin_completed": 2}
