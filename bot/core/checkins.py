"""When the gateway starts a check-in, reminds, or counts one as missed. Pure.

Rasa's own reminders live in one process's memory and vanish on restart, so the
gateway keeps the check-in clock. Each step is decided from the participant,
their check-in state and the time, and applied by ``after``; the scheduler
persists the new state before it sends anything.

* **start**: at a scheduled time, within ``start_window`` of it (a gateway that
  was down longer does not start yesterday's check-in in the middle of the
  night). Never while paused, withdrawn, without consent or during a handoff,
  and never into a conversation under way: the participant's last message
  must be ``quiet_before`` old.
* **remind**: once, ``remind_after`` after the start, if not finished.
* **missed**: not finished within ``missed_after``, or the next scheduled time
  came first. A check-in missed while high or imminent risk is less than
  ``high_window`` old is a risk signal itself and pages the mediator (brief,
  section 6).
* **cancelled**: an open check-in of someone who paused, withdrew or was taken
  over by a person is closed without counting as missed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import tzinfo

from bot.core.model import Participant
from bot.core.schedule import Schedule


@dataclass(frozen=True)
class CheckinTiming:
    start_window: float = 3600.0
    quiet_before: float = 600.0
    remind_after: float = 2 * 3600.0
    missed_after: float = 24 * 3600.0
    high_window: float = 7 * 24 * 3600.0


@dataclass(frozen=True)
class CheckinState:
    slot: float | None = None  # the scheduled time of the check-in last started
    started_at: float | None = None
    reminded: bool = False
    missed: bool = False
    completed_at: float | None = None
    missed_in_row: int = 0
    last_high_at: float | None = None
    last_message_at: float | None = None
    # 6 - mood (mood is 1-5) from the check-ins, oldest first: rising means worse.
    stress_scores: tuple[int, ...] = ()

    @property
    def open(self) -> bool:
        """Started by the gateway and neither finished nor counted as missed."""
        if self.started_at is None or self.missed:
            return False
        return self.completed_at is None or self.completed_at < self.started_at


@dataclass(frozen=True)
class Start:
    slot: float


@dataclass(frozen=True)
class Remind:
    slot: float


@dataclass(frozen=True)
class Missed:
    slot: float
    after_high: bool


@dataclass(frozen=True)
class Cancelled:
    slot: float


Step = Start | Remind | Missed | Cancelled


def eligible(participant: Participant, consent_version: str) -> bool:
    return (
        participant.schedule is not None
        and participant.room_id is not None
        and participant.has_consented(consent_version)
        and not participant.paused
        and participant.left_at is None
        and participant.handoff_by is None
    )


def next_step(
    participant: Participant,
    state: CheckinState,
    now: float,
    *,
    consent_version: str,
    zone: tzinfo,
    timing: CheckinTiming,
) -> Step | None:
    if not eligible(participant, consent_version):
        if state.open and state.slot is not None:
            return Cancelled(state.slot)
        return None
    assert participant.schedule is not None
    latest = Schedule.parse(participant.schedule).last_at_or_before(now, zone)
    latest_slot = latest.timestamp()
    if state.open:
        assert state.started_at is not None and state.slot is not None
        if latest_slot > state.slot or now - state.started_at >= timing.missed_after:
            after_high = (
                state.last_high_at is not None and now - state.last_high_at <= timing.high_window
            )
            return Missed(state.slot, after_high)
        if not state.reminded and now - state.started_at >= timing.remind_after:
            return Remind(state.slot)
        return None
    is_new = state.slot is None or latest_slot > state.slot
    if not is_new or now - latest_slot > timing.start_window:
        return None
    if state.last_message_at is not None and now - state.last_message_at < timing.quiet_before:
        return None  # a conversation is under way; try again on a later tick
    return Start(latest_slot)


def on_demand_refusal(
    participant: Participant, state: CheckinState, consent_version: str
) -> str | None:
    """Why a check-in asked for by staff cannot start now, or None. No schedule is
    needed; everything else a scheduled start needs is."""
    if participant.room_id is None:
        return "they have no chat with samtal yet"
    if not participant.has_consented(consent_version):
        return "they have not consented to check-ins"
    if participant.left_at is not None:
        return "they have left the programme"
    if participant.paused:
        return "their check-ins are paused"
    if participant.handoff_by is not None:
        return f"{participant.handoff_by} is talking with them"
    if state.open:
        return "a check-in is already under way"
    return None


def after(state: CheckinState, step: Step, now: float) -> CheckinState:
    if isinstance(step, Start):
        return replace(state, slot=step.slot, started_at=now, reminded=False, missed=False)
    if isinstance(step, Remind):
        return replace(state, reminded=True)
    if isinstance(step, Cancelled):
        return replace(state, started_at=None, reminded=False)
    return replace(state, missed=True, missed_in_row=state.missed_in_row + 1)


def completed(state: CheckinState, now: float) -> CheckinState:
    """A finished check-in, started by the gateway or asked for by the participant."""
    return replace(state, completed_at=now, missed_in_row=0)


def high_risk_seen(state: CheckinState, now: float) -> CheckinState:
    return replace(state, last_high_at=now)


def message_seen(state: CheckinState, now: float) -> CheckinState:
    return replace(state, last_message_at=now)


MOOD_SCALE = (1, 5)
KEEP_SCORES = 6


def mood_answered(state: CheckinState, mood: int) -> CheckinState:
    """A check-in's mood (1 bad, 5 good) as a stress score for the trend rule."""
    low, high = MOOD_SCALE
    if not low <= mood <= high:
        return state
    scores = (*state.stress_scores, high + 1 - mood)[-KEEP_SCORES:]
    return replace(state, stress_scores=scores)
