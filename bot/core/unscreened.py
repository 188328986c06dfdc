"""What staff hear when a message could not be screened. Pure.

A message that keeps failing to be taken in (the vault refuses a write, the
screen fails) is given up after a few tries, so one bad message cannot hold up
everyone else's. Given up means unscreened: a threat in it would page nobody.
So people are told, naming no more than a participant code, and asked to read
the conversation themselves.
"""

from __future__ import annotations


def unscreened_notice(code: str | None) -> str:
    """For the responsible desks when the participant is known (``code``), else for
    all staff."""
    if code is None:
        return (
            "⚠️ A participant's message could not be screened for risk and was set "
            "aside (see turn_intake_failed in the gateway log). Check the gateway, and "
            "read your participants' recent messages."
        )
    return (
        f"⚠️ A message from {code} could not be screened for risk and was set aside. "
        f"Read their conversation yourself: a threat in it would have paged no one."
    )
