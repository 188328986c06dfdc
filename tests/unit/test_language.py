from __future__ import annotations

import pytest

from bot.core.language import detect

LANGS = ("sv", "en")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hej", "sv"),
        ("Hej, jag mår bra idag", "sv"),
        ("hello", "en"),
        ("hi, I feel good today", "en"),
        ("ok", "sv"),
        ("👍", "sv"),
    ],
)
def test_detect_with_swedish_default(text: str, expected: str) -> None:
    assert detect(text, LANGS, "sv") == expected


def test_ambiguous_text_keeps_the_participants_language() -> None:
    assert detect("ok", LANGS, "en") == "en"
