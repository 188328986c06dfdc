"""What a desk shows about participants: codes, states and times, never their words."""

from __future__ import annotations

from dataclasses import replace
from datetime import timezone

from bot.core.checkins import CheckinState, on_demand_refusal
from bot.core.model import Participant
from bot.core.staff_views import OpenPage, ParticipantView, list_text, status_text, status_word
from bot.ids import MatrixUserId, ParticipantId, RoomId

VERSION = "v2"
BASE = Participant(
    pseudonym=ParticipantId("pabcdefghij"),
    matrix_id=MatrixUserId("@anna:example.org"),
    language="sv",
    mediator="@m:example.org",
    room_id=RoomId("!room:example.org"),
    consent_version=VERSION,
    schedule="mon,thu@18:00",
)


def view(participant: Participant = BASE, **state: object) -> ParticipantView:
    checkins = CheckinState(**state)  # type: ignore[arg-type]
    return ParticipantView("P-ABCDEF", participant, checkins, ())


def test_each_state_has_its_word() -> None:
    assert status_word(BASE, VERSION) == "active"
    assert status_word(replace(BASE, paused=True), VERSION) == "paused"
    assert status_word(replace(BASE, consent_version=None), VERSION) == "no consent yet"
    assert status_word(replace(BASE, room_id=None), VERSION) == "no chat yet"
    assert status_word(replace(BASE, handoff_by="@m:example.org"), VERSION).startswith("talking")
    assert status_word(replace(BASE, left_at=1.0, paused=True), VERSION) == "left the programme"


def test_the_list_names_codes_never_matrix_ids() -> None:
    pages = (OpenPage("E-7K3Q2A", "high", "open"),)
    listed = list_text(
        [replace(view(completed_at=0.0), pages=pages), view()], VERSION, timezone.utc
    )
    assert listed.startswith("2 participant(s)")
    assert "E-7K3Q2A high (open)" in listed and "1970-01-01 00:00" in listed
    assert "last check-in never" in listed
    assert "@anna" not in listed
    assert list_text([], VERSION, timezone.utc) == "You have no participants to list."


def test_status_shows_schedule_mediator_and_misses() -> None:
    shown = status_text(view(missed_in_row=2), VERSION, timezone.utc)
    assert "mon,thu@18:00" in shown and "@m:example.org" in shown
    assert "missed in a row: 2" in shown and "no open pages" in shown


def test_a_check_in_on_demand_needs_what_a_scheduled_one_needs_but_a_schedule() -> None:
    unscheduled = replace(BASE, schedule=None)
    assert on_demand_refusal(unscheduled, CheckinState(), VERSION) is None
    refusals = {
        "chat": replace(BASE, room_id=None),
        "consented": replace(BASE, consent_version=None),
        "left": replace(BASE, left_at=1.0),
        "paused": replace(BASE, paused=True),
        "talking": replace(BASE, handoff_by="@m:example.org"),
    }
    for word, participant in refusals.items():
        refusal = on_demand_refusal(participant, CheckinState(), VERSION)
        assert refusal is not None and word in refusal
    under_way = CheckinState(slot=1.0, started_at=1.0)
    assert on_demand_refusal(BASE, under_way, VERSION) == "a check-in is already under way"
