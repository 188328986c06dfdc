"""The `samtal screen` contract."""

from __future__ import annotations

import io
import json
import sys

import pytest

from safety.risk import RiskContext, assess
from safety.risk import screen as screen_module
from safety.risk.assess import assess as production_assess
from safety.risk.screen import screen_lines


def run(lines: list[str]) -> list[dict[str, object]]:
    return [json.loads(out) for out in screen_lines(lines)]


def test_one_output_per_input_in_order() -> None:
    inputs = [
        {"id": "a", "text": "allt lugnt", "lang": "sv"},
        {"id": 2, "text": "im gonna kill her tonight", "lang": "en"},
        {"id": "c", "text": "drinking a lot again", "lang": "en"},
        {"id": None, "text": "jag vill inte leva längre", "lang": "sv"},
    ]
    outputs = run([json.dumps(i, ensure_ascii=False) + "\n" for i in inputs])
    assert [o["id"] for o in outputs] == ["a", 2, "c", None]
    assert [o["level"] for o in outputs] == ["none", "imminent", "elevated", "high"]
    assert set(outputs[0]) == {"id", "level", "signals"}
    assert outputs[0]["signals"] == []
    assert "threat_to_partner" in outputs[1]["signals"]  # type: ignore[operator]


@pytest.mark.parametrize(
    ("line", "expected_id", "reason"),
    [
        ("not json at all", None, "invalid json"),
        ("", None, "invalid json"),
        ("[1, 2]", None, "not a json object"),
        ('{"id": 7, "lang": "sv"}', 7, "missing or non-string text"),
        ('{"id": "x", "text": 5, "lang": "sv"}', "x", "missing or non-string text"),
        ('{"id": "y", "text": "hej", "lang": "de"}', "y", "lang must be"),
        ('{"id": "z", "text": "hej"}', "z", "lang must be"),
        ('{"id": {"a": 1}, "text": "hej", "lang": "sv"}', None, "id must be"),
        ('{"id": "w", "text": "", "lang": []}', "w", "lang must be"),
        ('{"id": "v", "text": "", "lang": {"sv": 1}}', "v", "lang must be"),
    ],
)
def test_malformed_lines_yield_an_error_and_processing_continues(
    line: str, expected_id: object, reason: str
) -> None:
    good = '{"id": "ok", "text": "bra idag", "lang": "sv"}'
    first, second = run([line, good])
    assert first["id"] == expected_id
    assert str(first["error"]).startswith(reason)
    assert "level" not in first
    assert second == {"id": "ok", "level": "none", "signals": []}


def test_screen_uses_the_production_assess() -> None:
    assert vars(screen_module)["assess"] is production_assess
    text = "står utanför hennes dörr nu med kniven"
    (out,) = run([json.dumps({"id": 1, "text": text, "lang": "sv"})])
    expected = assess(text, RiskContext(language="sv"))
    assert out["level"] == expected.level.value
    assert out["signals"] == list(expected.categories)


def test_main_reads_stdin_and_writes_stdout(monkeypatch: pytest.MonkeyPatch) -> None:
    raw = b'{"id": 1, "text": "hej", "lang": "sv"}\n\xff not utf-8\n'  # invalid byte
    fake_stdin = io.TextIOWrapper(io.BytesIO(raw))
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdin", fake_stdin)
    monkeypatch.setattr(sys, "stdout", out)
    assert screen_module.main() == 0
    lines = out.getvalue().splitlines()
    first = json.loads(lines[0])
    assert set(first) == {"id", "level", "signals"} and first["id"] == 1
    assert first["level"] in {"none", "elevated", "high", "imminent"}
    assert json.loads(lines[1]) == {"id": None, "error": "invalid json"}


def test_very_long_adversarial_messages_are_assessed() -> None:
    """Long single tokens once made normalisation backtrack quadratically."""
    from safety.risk.assess import assess
    from safety.risk.context import RiskContext

    padded_threat = "jag ska döda henne ikväll med kniven " + "x" * 100_000
    assert assess(padded_threat, RiskContext(language="sv")).level.value == "imminent"
    for filler in ("x" * 100_000, "x!" * 50_000, "a." * 50_000, "1" * 100_000):
        result = assess(filler, RiskContext(language="sv"))
        assert not any(s.source == "pattern" for s in result.signals)


@pytest.mark.parametrize("text", ["👍", "🙂🙂", "...", "?!", "\u200b"])
def test_a_message_without_any_word_is_screened(text: str) -> None:
    # Emoji or punctuation alone normalise to no words; the screen still answers.
    (line,) = screen_lines([json.dumps({"text": text, "lang": "sv"})])
    out = json.loads(line)
    assert out["level"] == "none"
