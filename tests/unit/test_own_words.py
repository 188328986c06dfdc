"""Only the participant's own words are screened: reply fallbacks out, edits as new text."""

from __future__ import annotations

from bot.core.own_words import own_words, strip_reply_fallback, without_matrix_ids

BOT_QUESTION = (
    "> <@samtal:example.org> Har du haft tankar på att skada någon?\n> Svara ja eller nej.\n\n"
)


def test_a_reply_is_screened_without_the_quoted_question() -> None:
    content = {
        "msgtype": "m.text",
        "body": BOT_QUESTION + "nej",
        "format": "org.matrix.custom.html",
        "formatted_body": "<mx-reply><blockquote>Har du haft tankar …</blockquote></mx-reply>nej",
        "m.relates_to": {"m.in_reply_to": {"event_id": "$q"}},
    }
    assert own_words(content).text == "nej"
    assert own_words(content).replaces is None


def test_a_fallback_without_the_relation_is_still_stripped() -> None:
    assert own_words({"body": BOT_QUESTION + "jag vet var hon bor"}).text == "jag vet var hon bor"


def test_a_message_starting_with_a_quote_sign_of_its_own_is_kept() -> None:
    assert own_words({"body": ">:( jag är arg"}).text == ">:( jag är arg"
    assert strip_reply_fallback("inget citat\n> här") == "inget citat\n> här"
    # A reply without a fallback (Matrix 1.13) whose own text is a quote is screened whole.
    no_fallback = {
        "body": "> jag ska döda henne ikväll",
        "m.relates_to": {"m.in_reply_to": {"event_id": "$q"}},
    }
    assert own_words(no_fallback).text == "> jag ska döda henne ikväll"
    assert own_words({"body": "> <b>fet</b> text"}).text == "> <b>fet</b> text"


def test_a_fallback_with_nothing_after_it_keeps_the_body() -> None:
    body = "> <@samtal:example.org> Har du en plan?"
    assert own_words({"body": body}).text == body


def test_an_edit_is_read_as_its_new_text() -> None:
    content = {
        "msgtype": "m.text",
        "body": "* jag ska åka dit ikväll",
        "m.new_content": {"msgtype": "m.text", "body": "jag ska åka dit ikväll med kniven"},
        "m.relates_to": {"rel_type": "m.replace", "event_id": "$orig"},
    }
    words = own_words(content)
    assert words.text == "jag ska åka dit ikväll med kniven"
    assert words.replaces == "$orig"


def test_odd_content_never_raises() -> None:
    assert own_words({}).text == ""
    assert own_words({"body": 5, "m.relates_to": "x"}).text == ""
    bad_edit = {"m.new_content": {"body": None}, "m.relates_to": {"rel_type": "m.replace"}}
    assert own_words(bad_edit).replaces is None
    no_text = {
        "m.new_content": {"body": None},
        "m.relates_to": {"rel_type": "m.replace", "event_id": "$e"},
    }
    assert own_words(no_text) == own_words({"body": ""}).__class__(text="", replaces="$e")


def test_matrix_ids_never_reach_a_page() -> None:
    text = "@anna:example.org sa att #rum:server.se och !abc:hs.local:8448 vet"
    cleaned = without_matrix_ids(text)
    assert "example.org" not in cleaned and "server.se" not in cleaned
    assert "hs.local" not in cleaned
    assert cleaned.count("[id]") == 3
    hidden = without_matrix_ids("@anna\u200b:example.org och @b:[2001:db8::1]:8448 sa det")
    assert "example.org" not in hidden and "2001" not in hidden
