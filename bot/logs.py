"""Structured logging that carries event kinds, pseudonyms and timings only.

samtal's own records are JSON lines built from explicit fields. Records from
libraries (nio, aiohttp) can embed Matrix ids, room ids or event ids in their
messages, so they pass through a scrubber before they are written.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from collections.abc import Callable
from typing import TextIO

_IDENTIFIER = re.compile(r"[@!$#+][A-Za-z0-9._=\-/+]+(:[A-Za-z0-9.\-]+(:\d+)?)?")
_LOGGER = logging.getLogger("samtal")

Field = str | int | float | bool | None
# Called with the level ("info", "warning", or TALLY for what is never logged), the
# event kind and its fields.
Observer = Callable[[str, str, dict[str, Field]], None]
_OBSERVERS: list[Observer] = []
TALLY = "tally"


def event(kind: str, **fields: Field) -> None:
    """Log one structured event. Pass pseudonyms, counts and timings only."""
    _LOGGER.info(kind, extra={"samtal_fields": fields})
    _notify("info", kind, fields)


def warning(kind: str, **fields: Field) -> None:
    _LOGGER.warning(kind, extra={"samtal_fields": fields})
    _notify("warning", kind, fields)


def tally(kind: str, **fields: Field) -> None:
    """Tell the observers (the metrics' counters) without writing a record. For a
    figure about people, such as a risk level, that the log must not hold: even on a
    line of its own it would sit beside the line naming whom it was about."""
    _notify(TALLY, kind, fields)


def observe(observer: Observer) -> Callable[[], None]:
    """Call ``observer`` with every structured event (the metrics count them this
    way, so no call site changes). Returns a function that stops observing."""
    _OBSERVERS.append(observer)

    def stop() -> None:
        if observer in _OBSERVERS:
            _OBSERVERS.remove(observer)

    return stop


def _notify(level: str, kind: str, fields: dict[str, Field]) -> None:
    for observer in tuple(_OBSERVERS):
        try:
            observer(level, kind, fields)
        except Exception:  # an observer never breaks the code that logged
            _LOGGER.error("log_observer_failed", extra={"samtal_fields": {}})


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        fields = getattr(record, "samtal_fields", None)
        payload: dict[str, object] = {
            "ts": round(time.time(), 3),
            "level": record.levelname.lower(),
            "logger": record.name,
        }
        if fields is not None:
            payload["event"] = record.msg
            # A field never overwrites the record's own keys (ts, level, logger, event).
            payload.update({k: v for k, v in fields.items() if k not in payload})
        else:
            payload["event"] = "library_log"
            payload["message"] = scrub(record.getMessage())[:300]
        if record.exc_info and record.exc_info[0] is not None:
            payload["exception"] = record.exc_info[0].__name__
        return json.dumps(payload, ensure_ascii=False)


def scrub(text: str) -> str:
    """Replace Matrix user, room, event and alias ids with a placeholder."""
    return _IDENTIFIER.sub("<id>", text)


def configure(stream: TextIO = sys.stderr, level: int = logging.INFO) -> None:
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
    _LOGGER.setLevel(level)
    # nio logs decryption details with user and device ids at INFO and below.
    for noisy in ("nio", "aiohttp", "peewee"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
