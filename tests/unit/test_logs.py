from __future__ import annotations

import ast
import io
import json
import logging
from pathlib import Path
from typing import Any

import pytest

import bot
from bot import logs
from bot.core.model import Inbound
from bot.escalation.store import all_escalations
from bot.ids import EventId, MatrixUserId, RoomId
from tests.support.gateway import BOT, MEDIATOR, PARTICIPANT, make_gateway


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


LEVELS = {"none", "elevated", "high", "imminent"}


async def test_no_record_ties_a_risk_level_or_category_to_anyone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """docs/privacy.md: logs hold event kinds, pseudonyms, counts and timings only. Through
    the real screen, escalation engine and risk memory: a threat, a second one folded
    into its case, and a falling mood over three check-ins."""
    caplog.set_level(logging.DEBUG)
    gateway = make_gateway(tmp_path, monkeypatch)
    moods = iter((4, 3, 2))

    async def dialogue(*args: Any, **kwargs: Any) -> list[dict[str, Any]]:
        done = [
            {"type": "checkin_answer", "question": "mood", "value": next(moods)},
            {"type": "checkin_completed"},
        ]
        return [{"text": "Tack.", "custom": {"samtal": {"kind": "effects", "effects": done}}}]

    async def quiet(*args: Any, **kwargs: Any) -> str:
        return "$sent"

    monkeypatch.setattr(gateway.rasa, "message", dialogue)
    monkeypatch.setattr(gateway.transports, "notice", quiet)
    monkeypatch.setattr(gateway.transports, "typing", quiet)
    try:
        participant = gateway.registry.enroll(PARTICIPANT, "en", MEDIATOR)
        texts = ("I am going to kill her tonight", "I have a knife for her", "ok", "ok", "ok")
        for n, text in enumerate(texts):
            inbound = Inbound(
                event_id=EventId(f"$e{n}"),
                sender=MatrixUserId(PARTICIPANT),
                room_id=RoomId("!room:localhost"),
                text=text,
                room_encrypted=True,
                room_members=frozenset({BOT, PARTICIPANT}),
                timestamp_ms=n,
            )
            turn = await gateway.turns.intake(inbound)
            if turn is not None and turn.level == "none":
                await gateway.turns.complete(turn)
        [esc] = all_escalations(gateway.vault)
    finally:
        gateway.vault.close()
    categories = {*esc.signals, "trend_rising_stress", "weapon"}
    assert esc.level == "imminent" and esc.further == 1
    ours = [r for r in caplog.records if r.name == "samtal"]
    kinds = {r.getMessage() for r in ours}
    assert {"message_screened", "escalation_created", "escalation_coalesced"} <= kinds
    assert "risk_trend_noted" in kinds
    for record in ours:
        fields: dict[str, object] = getattr(record, "samtal_fields", {})
        values = [str(v) for v in fields.values()]
        if participant.pseudonym not in values and esc.code not in values:
            continue
        line = f"{record.getMessage()} {fields}"
        assert not LEVELS & set(values), line
        assert not [c for c in categories if c in line], line


# Fields that would say how dangerous someone was judged; a log call with a pseudonym
# or a code beside them is a privacy defect wherever it is.
RISK_FIELDS = frozenset(
    {"risk", "level", "levels", "signals", "category", "categories", "after_high"}
)


def test_no_log_call_in_the_gateway_passes_a_risk_field() -> None:
    """Every `logs.event` and `logs.warning` call in bot/, read from the source, so a
    path no behavioural test drives (a missed check-in after high risk) is held too.
    Tallies (`logs.tally`) reach the metrics only and may carry a level."""
    offenders = []
    for path in sorted(Path(bot.__file__).parent.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            target = node.func.value
            if not (isinstance(target, ast.Name) and target.id == "logs"):
                continue
            if node.func.attr not in ("event", "warning"):
                continue
            named = {k.arg for k in node.keywords if k.arg is not None}
            if named & RISK_FIELDS:
                offenders.append(f"{path.name}:{node.lineno} {sorted(named & RISK_FIELDS)}")
    assert not offenders
