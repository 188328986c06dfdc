"""The few messages the gateway itself says, one JSON file per language."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

_DIR = Path(__file__).with_name("texts")
FALLBACK_LANGUAGE = "sv"


@cache
def _catalogue(language: str) -> dict[str, str]:
    path = _DIR / f"{language}.json"
    if not path.exists():
        return {}
    loaded: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def text(key: str, language: str) -> str:
    found = _catalogue(language).get(key) or _catalogue(FALLBACK_LANGUAGE).get(key)
    if found is None:
        raise KeyError(key)
    return found
