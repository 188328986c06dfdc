"""Data-driven risk patterns.

Each language is one JSON file in this package named by its code (`sv.json`, `en.json`);
adding a language means adding a file. `combos.json` holds language-independent rules
that combine categories ("a threat" and "a time" → imminent). Files are read and compiled
once per process.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources
from typing import Any

from safety.risk.patterns.compiler import build_lexicon
from safety.risk.patterns.matcher import PatternResult, mask_safe_phrases, match
from safety.risk.patterns.model import Lexicon
from safety.risk.patterns.source import PatternError

__all__ = ["Lexicon", "PatternError", "PatternResult", "load_lexicon", "mask_safe_phrases", "match"]

_LANGUAGE_FILE = re.compile(r"[a-z]{2,3}\.json")


def _read(name: str) -> dict[str, Any]:
    text = resources.files(__name__).joinpath(name).read_text(encoding="utf-8")
    data = json.loads(text)
    if not isinstance(data, dict):
        raise PatternError(f"{name}: expected a JSON object")
    return data


@lru_cache(maxsize=1)
def load_lexicon() -> Lexicon:
    """Load and compile every language file and the combos (cached for the process)."""
    names = sorted(
        entry.name
        for entry in resources.files(__name__).iterdir()
        if _LANGUAGE_FILE.fullmatch(entry.name)
    )
    if not names:
        raise PatternError("no language pattern files found")
    return build_lexicon([_read(n) for n in names], _read("combos.json"))
