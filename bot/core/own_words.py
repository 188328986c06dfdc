"""The participant's own words in a Matrix message, and nothing quoted from anyone else.

A reply carries a fallback: the quoted message as `> <@user:server> …` lines in `body`
and an `<mx-reply>` block in `formatted_body` (never read here). Screening that quote
would score the bot's own question ("have you had thoughts of harming someone?") as the
participant's words. The fallback is stripped only from an event that says it is a reply
(`m.in_reply_to`) and carries the fallback's HTML form too (`<mx-reply>`, which clients
that sent fallbacks always did with a formatted reply): anyone can type the quote lines
as markdown, in a reply or not (clients since Matrix 1.13 send no fallback at all), and
hiding a threat behind them must not get it past the screen. A plain-text client's
fallback is therefore screened with the reply; a quoted question may then page, the
safe way to be wrong. An edit (`m.replace`) carries its new text
in `m.new_content`; the screen reads that, not the "* " fallback.
Pure functions over the event content; no I/O.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_MATRIX_ID = re.compile(
    r"[@!#$+][A-Za-z0-9._=/+\-]+:(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.\-]+)(?::\d+)?"
)
# A reply fallback starts with the quoted sender's user id: "> <@user:server> …" (or
# "> * <@…>" for an emote). Only then are the leading quote lines someone else's words.
_FALLBACK_HEADER = re.compile(r"> (?:\* )?<@[^>\s:]+:[^>\s]+> ")


@dataclass(frozen=True)
class OwnWords:
    """What to screen and answer, and whether the message replaces an earlier one."""

    text: str
    replaces: str | None = None  # event id of the message an edit replaces


def strip_reply_fallback(body: str) -> str:
    """Drop a reply fallback: the quoted lines under a `> <@sender>` header, and the blank
    line after them. A message of the participant's own that starts with `>` is kept, and
    so is the whole body if nothing would be left. Only for a reply (`is_reply`)."""
    lines = body.split("\n")
    if not lines or not _FALLBACK_HEADER.match(lines[0]):
        return body
    index = 0
    while index < len(lines) and lines[index].startswith(">"):
        index += 1
    if index < len(lines) and lines[index].strip() == "":
        index += 1
    rest = "\n".join(lines[index:])
    return rest if rest.strip() else body


def _relation(content: Mapping[str, Any]) -> Mapping[str, Any]:
    relation = content.get("m.relates_to")
    return relation if isinstance(relation, Mapping) else {}


def is_reply(content: Mapping[str, Any]) -> bool:
    """Whether the content names the message it answers (`m.in_reply_to`)."""
    return isinstance(_relation(content).get("m.in_reply_to"), Mapping)


def _sent_a_fallback(content: Mapping[str, Any]) -> bool:
    """Whether a client put a reply fallback here: its HTML form, which a composer's
    markdown cannot produce."""
    formatted = content.get("formatted_body")
    return isinstance(formatted, str) and "<mx-reply>" in formatted


def _body(content: Mapping[str, Any], reply: bool) -> str:
    body = content.get("body")
    text = body if isinstance(body, str) else ""
    return strip_reply_fallback(text) if reply else text


def own_words(content: Mapping[str, Any]) -> OwnWords:
    """The text a participant wrote in a `m.room.message` event's content."""
    relation = _relation(content)
    replaced = relation.get("event_id") if relation.get("rel_type") == "m.replace" else None
    new_content = content.get("m.new_content")
    if isinstance(replaced, str) and isinstance(new_content, Mapping):
        # The edited message's own relation is not in the edit; a client that kept the
        # fallback in the new text says it is a reply in one of the two places.
        reply = (is_reply(content) or is_reply(new_content)) and _sent_a_fallback(new_content)
        return OwnWords(text=_body(new_content, reply), replaces=replaced)
    return OwnWords(text=_body(content, is_reply(content) and _sent_a_fallback(content)))


def _id_alike() -> dict[int, str]:
    """One character for one: every character whose compatibility form is one ASCII
    letter, digit or sign (full-width, small forms, mathematical and circled letters),
    and the Cyrillic and Greek letters drawn like Latin ones, in both cases. One for
    one, so a match in the folded text is the same span of the text staff read, and
    nothing else in it changes ("2½" stays "2½")."""
    table: dict[int, str] = {}
    for code in (*range(0x80, 0x10000), *range(0x1D400, 0x1D800), *range(0x1F100, 0x1F200)):
        folded = unicodedata.normalize("NFKC", chr(code))
        if len(folded) == 1 and folded.isascii() and folded.isprintable():
            table[code] = folded
    latin, alike = "aceopxyikmthjsdqwlbABCEHIJKMOPSTXYZ", "асеорхуікмтһјѕԁԛԝӏвАВСЕНІЈКМОРЅТХУΖ"
    table.update({ord(other): letter for letter, other in zip(latin, alike, strict=True)})
    greek, greek_latin = "οαεικρτυχνβΟΑΕΙΚΡΤΥΧΝΒΗΖΜ", "oaeikptuxvbOAEIKPTYXNBHZM"
    table.update({ord(other): letter for other, letter in zip(greek, greek_latin, strict=True)})
    return table


_ID_ALIKE = _id_alike()


def without_matrix_ids(text: str) -> str:
    """Text with any Matrix id (user, room, alias) replaced, for anything shown to staff.

    Invisible format characters are dropped first, so a zero-width space cannot split
    an id past the pattern. Ids are then found in a copy with look-alike characters
    folded one for one (`_id_alike`), so "＠anna：example．org" or "@аnna:example.org"
    (Cyrillic а) is found too, and the same span is replaced in the text as written."""
    visible = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    folded = visible.translate(_ID_ALIKE)
    spans = [m.span() for m in _MATRIX_ID.finditer(folded)]
    for start, end in reversed(spans):
        visible = visible[:start] + "[id]" + visible[end:]
    return visible
