"""The participant's own words in a Matrix message, and nothing quoted from anyone else.

A reply carries a fallback: the quoted message as `> <@user:server> …` lines in `body`
and an `<mx-reply>` block in `formatted_body`. Screening that quote would score the
bot's own question ("have you had thoughts of harming someone?") as the participant's
words, and a page would then quote a Matrix id. An edit (`m.replace`) carries its new
text in `m.new_content`; the screen reads that, not the "* " fallback.
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
# A reply fallback starts with the quoted sender: "> <@user:server> …" (or "> * <@…>"
# for an emote). Only then are the leading quote lines someone else's words.
_FALLBACK_HEADER = re.compile(r"> (?:\* )?<[^>\s]+> ")


@dataclass(frozen=True)
class OwnWords:
    """What to screen and answer, and whether the message replaces an earlier one."""

    text: str
    replaces: str | None = None  # event id of the message an edit replaces


def strip_reply_fallback(body: str) -> str:
    """Drop a reply fallback: the quoted lines under a `> <@sender>` header, and the blank
    line after them. A message of the participant's own that starts with `>` is kept, and
    so is the whole body if nothing would be left."""
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


def own_words(content: Mapping[str, Any]) -> OwnWords:
    """The text a participant wrote in a `m.room.message` event's content."""
    relation = _relation(content)
    replaced = relation.get("event_id") if relation.get("rel_type") == "m.replace" else None
    new_content = content.get("m.new_content")
    if isinstance(replaced, str) and isinstance(new_content, Mapping):
        body = new_content.get("body")
        text = body if isinstance(body, str) else ""
        return OwnWords(text=strip_reply_fallback(text), replaces=replaced)
    body = content.get("body")
    text = body if isinstance(body, str) else ""
    return OwnWords(text=strip_reply_fallback(text))


def without_matrix_ids(text: str) -> str:
    """Text with any Matrix id (user, room, alias) replaced, for anything shown to staff.

    Invisible format characters are dropped first, so a zero-width space cannot split
    an id past the pattern (the quote is made inert afterwards anyway)."""
    visible = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return _MATRIX_ID.sub("[id]", visible)
