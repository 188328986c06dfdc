"""Which supported language a message is written in, when that is clear.

A participant has a preferred language from enrolment, but someone who writes
in English should be answered in English. Each language is a word list file
in ``languages/``; adding a language means adding a file.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

_WORDS = re.compile(r"[^\W\d_]+", re.UNICODE)
_DIR = Path(__file__).with_name("languages")


@cache
def _markers(language: str) -> frozenset[str]:
    path = _DIR / f"{language}.txt"
    if not path.exists():
        return frozenset()
    lines = (line.strip().casefold() for line in path.read_text(encoding="utf-8").splitlines())
    return frozenset(line for line in lines if line and not line.startswith("#"))


def detect(text: str, supported: tuple[str, ...], default: str) -> str:
    """The language with the most marker words; ``default`` on a tie or none."""
    words = _WORDS.findall(text.casefold())
    if not words:
        return default
    scores = {lang: sum(word in _markers(lang) for word in words) for lang in supported}
    best = max(scores.values())
    leaders = [lang for lang, score in scores.items() if score == best]
    if best == 0 or len(leaders) > 1:
        return default
    return leaders[0]
