"""Make participant text inert before it is quoted to mediators.

The quote goes out as a plain ``body`` (never ``formatted_body``) with explicit
mentions, but clients still linkify URLs, domains and Matrix ids in plain
text and may highlight "@room". So the quote is defanged: sigils become their
full-width look-alikes, dots between word characters become "[.]", and
control characters and layout tricks are removed.
"""

from __future__ import annotations

import re
import unicodedata

MAX_QUOTE_CHARS = 400
_SIGILS = str.maketrans({"@": "＠", "#": "＃", "!": "！", "+": "＋", "$": "＄", "<": "‹", ">": "›"})
_DOT_BETWEEN_WORDS = re.compile(r"(?<=\w)\.(?=\w)")
_SCHEME = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*):/+")


def _visible(char: str) -> bool:
    category = unicodedata.category(char)
    # Cc control, Cf format (zero-width, bidi overrides), Co private use, Cs surrogates
    return not category.startswith("C")


def inert_quote(text: str, limit: int = MAX_QUOTE_CHARS) -> str:
    flat = "".join(ch if _visible(ch) else " " for ch in text.replace("\n", " "))
    flat = " ".join(flat.split())
    if len(flat) > limit:
        flat = flat[: limit - 1] + "…"
    flat = _SCHEME.sub(lambda m: m.group(1) + "[:]//", flat)
    flat = _DOT_BETWEEN_WORDS.sub("[.]", flat)
    return flat.translate(_SIGILS).replace("`", "ʼ").replace("*", "∗").replace("_", "‗")
