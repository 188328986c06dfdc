from __future__ import annotations

import re

from bot.ids import participant_code, pseudonym


def test_pseudonym_is_url_safe_and_hides_the_id() -> None:
    value = pseudonym(b"k" * 32, "matrix", "@alice:example.org")
    assert re.fullmatch(r"p[a-z2-7]{26}", value)
    assert "alice" not in value


def test_pseudonym_is_stable_and_keyed() -> None:
    first = pseudonym(b"k" * 32, "matrix", "@alice:example.org")
    assert first == pseudonym(b"k" * 32, "matrix", "@alice:example.org")
    assert first != pseudonym(b"j" * 32, "matrix", "@alice:example.org")
    assert first != pseudonym(b"k" * 32, "telegram", "@alice:example.org")


def test_participant_code_is_short_and_derived() -> None:
    code = participant_code(pseudonym(b"k" * 32, "matrix", "@alice:example.org"))
    assert re.fullmatch(r"P-[A-Z2-7]{6}", code)
