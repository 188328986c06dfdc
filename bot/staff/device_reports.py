"""What staff read when an account gains a device or the bot holds one back."""

from __future__ import annotations

from bot.core.device_trust import DeviceReport, Reason, Role
from bot.core.model import Participant
from bot.ids import participant_code

_HOW_TO_CONFIRM = "It gets no messages until one of you confirms it: !trust {code}"


def device_report_text(report: DeviceReport, participant: Participant | None) -> str | None:
    """The staff-room notice for ``report``; None for someone staff need not hear of."""
    confirm = _HOW_TO_CONFIRM.format(code=report.code)
    if report.role is Role.OWN:
        return (
            "🔑 Someone signed in to the bot's own account on a new device. It gets nothing. "
            "If none of you did this, the bot's password is known to someone else: change it. "
            + confirm
        )
    if report.role is Role.STAFF:
        what = _what_changed(report.reason, "the staff account " + report.user_id)
        return f"🔑 {what} {confirm}"
    if participant is None:
        return None
    code = participant_code(participant.pseudonym)
    if report.reason is Reason.ADDED_DEVICE:
        return (
            f"🔑 {code} has a new device in their account: a new phone, or someone else "
            "using it. Keep it in mind when you next talk to them."
        )
    what = _what_changed(report.reason, code)
    return f"🔑 {what} Ask them whether it is theirs. {confirm}"


def _what_changed(reason: Reason, whose: str) -> str:
    if reason is Reason.NEW_MASTER:
        return (
            f"{whose} has a new security identity (cross-signing key), so its devices are no "
            "longer vouched for: a reset on a new phone, or someone else taking the account over."
        )
    return (
        f"{whose} has a new device that its owner has not verified: a new phone not set up "
        "yet, or someone else using the account."
    )
