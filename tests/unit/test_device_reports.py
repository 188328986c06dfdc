"""What staff read about new devices: who (by code), what happened, how to confirm."""

from __future__ import annotations

from bot.core.device_trust import DeviceReport, Reason, Role
from bot.core.model import Participant
from bot.ids import MatrixUserId, ParticipantId, participant_code
from bot.staff.device_reports import device_report_text

PARTICIPANT = Participant(ParticipantId("PSEUDO"), MatrixUserId("@p:example.org"), "sv")


def report(
    role: Role, reason: Reason, withheld: bool, user: str = "@p:example.org"
) -> DeviceReport:
    return DeviceReport(user, role, reason, withheld, "K-7K3Q2A")


def test_a_participants_withheld_device_names_the_code_never_the_account() -> None:
    text = device_report_text(report(Role.MEMBER, Reason.UNSIGNED_DEVICE, True), PARTICIPANT)
    assert text is not None
    assert participant_code(PARTICIPANT.pseudonym) in text
    assert "@p:example.org" not in text
    assert "!trust K-7K3Q2A" in text


def test_a_device_trusted_on_first_use_is_only_mentioned() -> None:
    text = device_report_text(report(Role.MEMBER, Reason.ADDED_DEVICE, False), PARTICIPANT)
    assert text is not None
    assert "new device" in text
    assert "!trust" not in text


def test_a_new_identity_is_explained() -> None:
    text = device_report_text(report(Role.MEMBER, Reason.NEW_MASTER, True), PARTICIPANT)
    assert text is not None
    assert "security identity" in text
    assert "!trust K-7K3Q2A" in text


def test_staff_and_the_bots_own_account_are_reported_with_a_code() -> None:
    staff = device_report_text(
        report(Role.STAFF, Reason.UNSIGNED_DEVICE, True, "@mediator:example.org"), None
    )
    assert staff is not None
    assert "@mediator:example.org" in staff
    assert "!trust K-7K3Q2A" in staff
    own = device_report_text(report(Role.OWN, Reason.UNSIGNED_DEVICE, True), None)
    assert own is not None
    assert "bot's own account" in own
    assert "!trust K-7K3Q2A" in own


def test_someone_who_is_neither_participant_nor_staff_is_not_reported() -> None:
    assert device_report_text(report(Role.MEMBER, Reason.UNSIGNED_DEVICE, True), None) is None
