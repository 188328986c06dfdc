from __future__ import annotations

from bot.escalation.inert import MAX_QUOTE_CHARS, inert_quote


def test_mentions_and_room_pings_are_defanged() -> None:
    quoted = inert_quote("@room hej @mediator:localhost #kanal:localhost !abc:localhost")
    assert "@" not in quoted and "#" not in quoted and "!" not in quoted
    assert "room" in quoted


def test_links_and_domains_do_not_linkify() -> None:
    quoted = inert_quote("see https://evil.example/x and www.evil.example")
    assert "https://" not in quoted
    assert "evil.example" not in quoted
    assert "evil[.]example" in quoted


def test_markup_is_neutralised() -> None:
    quoted = inert_quote("<b>bold</b> **star** `code` _under_")
    assert "<" not in quoted and "*" not in quoted and "`" not in quoted and "_" not in quoted


def test_control_and_bidi_characters_are_removed() -> None:
    quoted = inert_quote("a\x07b\u202ec\u200bd\nnext")
    assert quoted == "a b c d next"


def test_long_text_is_cut() -> None:
    quoted = inert_quote("x" * 100_000)
    assert len(quoted) == MAX_QUOTE_CHARS
    assert quoted.endswith("…")
