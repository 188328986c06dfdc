"""Retention: how long data is kept after someone leaves the programme's chat."""

from __future__ import annotations

from bot.core.model import Participant


def due_for_shredding(participant: Participant, now: float, max_age_seconds: float) -> bool:
    """True once the participant left longer ago than the retention limit allows."""
    return participant.left_at is not None and now - participant.left_at >= max_age_seconds
