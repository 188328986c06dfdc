"""The forms in which a file can hold a piece of text."""

from __future__ import annotations

import json
from urllib.parse import quote


def leak_forms(text: str) -> set[str]:
    """Raw UTF-8, JSON's and Python's escapes of non-ASCII, and URL encoding: a log
    renderer that escapes must not hide a leak from the search."""
    return {
        text,
        json.dumps(text)[1:-1],
        text.encode("unicode_escape").decode("ascii"),
        quote(text),
        quote(text, safe=""),
    }
