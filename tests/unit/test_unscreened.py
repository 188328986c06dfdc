"""A message given up unscreened is told to people, naming a code at most."""

from __future__ import annotations

from bot.core.unscreened import unscreened_notice


def test_the_responsible_desks_hear_the_code_and_what_to_do() -> None:
    text = unscreened_notice("P-ABC234")
    assert "P-ABC234" in text and "could not be screened" in text
    assert "Read their conversation" in text


def test_without_a_participant_everyone_hears_and_no_one_is_named() -> None:
    text = unscreened_notice(None)
    assert "could not be screened" in text and "turn_intake_failed" in text
    assert "P-" not in text and "@" not in text
