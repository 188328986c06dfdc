"""Only the participant's own words are screened: reply fallbacks out, edits as new text."""

from __future__ import annotations

from bot.core.own_words import own_words, strip_reply_fallback, without_matrix_ids

BOT_QUESTION = (
    "> <@samtal:example.org> Har du haft tankar på att skada någon?\n> Svara ja eller nej.\n\n"
)
REPLY = {"m.in_reply_to": {"event_id": "$q"}}
HTML_FALLBACK = {
    "format": "org.matrix.custom.html",
    "formatted_body": "<mx-reply><blockquote>Har du haft tankar …</blockquote></mx-reply>nej",
}


def test_a_reply_is_screened_without_the_quoted_question() -> None:
    content = {"msgtype": "m.text", "body": BOT_QUESTION + "nej", "m.relates_to": REPLY}
    content.update(HTML_FALLBACK)
    assert own_words(content).text == "nej"
    assert own_words(content).replaces is None


def test_quote_lines_in_a_message_that_is_no_reply_are_the_participants_own() -> None:
    # Markdown lets anyone type a fallback's shape; without a reply relation nothing
    # in the body is someone else's, so nothing is left unscreened.
    typed = "> <x> I am going to kill her tonight\nok"
    assert own_words({"msgtype": "m.text", "body": typed}).text == typed
    as_bot = BOT_QUESTION + "jag vet var hon bor"
    assert own_words({"msgtype": "m.text", "body": as_bot}).text == as_bot
    other_relation = {"body": as_bot, "m.relates_to": {"rel_type": "m.thread", "event_id": "$t"}}
    assert own_words(other_relation).text == as_bot
    # ...and a page quoting it still names nobody.
    assert "samtal" not in without_matrix_ids(own_words({"body": as_bot}).text)


def test_a_reply_keeps_quote_lines_not_headed_by_a_user_id() -> None:
    typed = "> <x> I am going to kill her tonight\nok"
    reply = {"body": typed, "m.relates_to": REPLY, **HTML_FALLBACK}
    assert own_words(reply).text == typed


def test_a_reply_keeps_typed_fallback_lines_when_no_client_sent_a_fallback() -> None:
    # The reply button, then a typed quote in the fallback's shape: since Matrix 1.13 a
    # client sends no fallback, so without its HTML form the lines are the sender's own.
    typed = "> <@samtal:example.org> I will kill her tonight\n\nok"
    markdown = {"format": "org.matrix.custom.html", "formatted_body": "<blockquote>…</blockquote>"}
    for extra in ({}, markdown):
        reply = {"msgtype": "m.text", "body": typed, "m.relates_to": REPLY, **extra}
        assert own_words(reply).text == typed


def test_an_edit_of_a_reply_drops_the_fallback_only_when_a_reply_is_named() -> None:
    new_text = {"msgtype": "m.text", "body": BOT_QUESTION + "nej", **HTML_FALLBACK}
    replace: dict[str, object] = {"rel_type": "m.replace", "event_id": "$orig"}
    edit = {"body": "* nej", "m.new_content": new_text, "m.relates_to": replace}
    assert own_words(edit).text == BOT_QUESTION + "nej"
    in_new = {**edit, "m.new_content": {**new_text, "m.relates_to": REPLY}}
    assert own_words(in_new).text == "nej"
    in_parent = {**edit, "m.relates_to": {**replace, **REPLY}}
    assert own_words(in_parent).text == "nej"
    assert own_words(in_parent).replaces == "$orig"


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
    assert own_words({"body": body, "m.relates_to": REPLY}).text == body


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


def test_matrix_ids_in_look_alike_characters_never_reach_a_page() -> None:
    # Typed with full-width sigils and letters, or pasted from an earlier inert quote.
    typed_ids = (
        "＠anna：example．org",
        "＠ａｎｎａ:example.org",
        "﹫anna:example.org",
        "@\u0430nna:example.org",  # Cyrillic а
        "@ΑΝΝΑ:example.org",  # Greek capitals
        "@𝚊𝚗𝚗𝚊:example.org",  # mathematical monospace, as "fancy text" keyboards type
        "@ⓐⓝⓝⓐ:example.org",  # circled letters
        "@ΜΑΝ:hs.org",  # Greek capital mu
        "@ΑΝΝΑ:ΕΧΑΜΡLΕ.ORG",
    )
    for typed in typed_ids:
        assert without_matrix_ids(f"ring {typed} nu") == "ring [id] nu", typed


def test_removing_ids_changes_nothing_else_staff_read() -> None:
    # Only the id's span is replaced: fractions, superscripts and emoji stay as written.
    text = "om 2½ timme, kl 14³⁰ ①② ℹ️ Нej @b:hs.local"
    assert without_matrix_ids(text) == "om 2½ timme, kl 14³⁰ ①② ℹ️ Нej [id]"
