"""The `samtal screen` contract: JSON lines in, one JSON line out per input, same order.

Input line:  {"id": ..., "text": "...", "lang": "sv" | "en" | any language with patterns}
Output line: {"id": ..., "level": "none" | "elevated" | "high" | "imminent", "signals": [...]}
A malformed line yields {"id": <id or null>, "error": "<short reason>"} and the stream
goes on. `signals` lists distinct categories, highest level first. Every line runs
through the same `assess` production uses, with a context that has no history.
Errors name what was wrong with the line, never its text.
"""

from __future__ import annotations

import io
import json
import math
import sys
from collections.abc import Iterable, Iterator
from typing import Any

from safety.risk.assess import assess, supported_languages, warm_up
from safety.risk.context import RiskContext

_SCALAR = (str, int, float, bool, type(None))


def _error(ident: Any, reason: str) -> str:
    return json.dumps({"id": ident, "error": reason}, ensure_ascii=False)


def screen_line(line: str) -> str:
    """Screen one input line and return one output line (without newline)."""
    try:
        raw = json.loads(line)
    except (ValueError, RecursionError):
        return _error(None, "invalid json")
    if not isinstance(raw, dict):
        return _error(None, "not a json object")
    ident = raw.get("id")
    if not isinstance(ident, _SCALAR) or (isinstance(ident, float) and not math.isfinite(ident)):
        return _error(None, "id must be a string, number or null")
    text, lang = raw.get("text"), raw.get("lang")
    if not isinstance(text, str):
        return _error(ident, "missing or non-string text")
    languages = supported_languages()
    if not isinstance(lang, str) or lang not in languages:
        return _error(ident, "lang must be one of: " + ", ".join(sorted(languages)))
    result = assess(text, RiskContext(language=lang))
    out = {"id": ident, "level": result.level.value, "signals": list(result.categories)}
    return json.dumps(out, ensure_ascii=False)


def screen_lines(lines: Iterable[str]) -> Iterator[str]:
    """Yield one output line per input line, in order (trailing newlines are ignored)."""
    warm_up()
    for line in lines:
        yield screen_line(line.rstrip("\r\n"))


def main() -> int:
    """`samtal screen`: read JSON lines on stdin, write one result line each."""
    stdin = io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="replace")
    for out in screen_lines(stdin):
        sys.stdout.write(out + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
