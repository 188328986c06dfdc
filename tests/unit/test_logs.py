from __future__ import annotations

import io
import json
import logging

from bot import logs


def test_library_records_are_scrubbed_of_matrix_ids() -> None:
    stream = io.StringIO()
    logs.configure(stream)
    logging.getLogger("somelib").warning(
        "failed for @alice:example.org in !room123:example.org event $abc"
    )
    line = json.loads(stream.getvalue().strip())
    assert "alice" not in line["message"]
    assert "room123" not in line["message"]
    assert line["message"].count("<id>") == 3


def test_samtal_events_are_structured() -> None:
    stream = io.StringIO()
    logs.configure(stream)
    logs.event("turn_answered", participant="pabc", ms=12.5)
    line = json.loads(stream.getvalue().strip())
    assert line["event"] == "turn_answered"
    assert line["participant"] == "pabc"
    assert line["ms"] == 12.5


def test_fields_cannot_overwrite_the_record_keys() -> None:
    stream = io.StringIO()
    logs.configure(stream)
    logs.event("escalation_created", level="imminent", event="spoofed")
    line = json.loads(stream.getvalue().strip())
    assert line["level"] == "info"
    assert line["event"] == "escalation_created"
