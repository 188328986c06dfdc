"""Randomised conversations, the NLU score floor and the command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli.audit_dialogues import main, run_static_check
from safety.flow_audit import nlu_scores
from safety.flow_audit.driver import load_corpus, names_by_text
from safety.flow_audit.scenarios import Planner

PROJECT = Path(__file__).resolve().parents[3]


def test_plans_are_deterministic_and_probe_most_conversations() -> None:
    corpus = load_corpus(PROJECT)
    planner, replay = Planner(corpus, 7), Planner(corpus, 7)
    first = [planner.conversation(n, "t") for n in range(200)]
    again = [replay.conversation(n, "t") for n in range(200)]
    assert first == again
    probes = [t.probe for c in first for t in c.turns if t.probe in ("withdraw", "risk")]
    assert len(probes) > 150
    assert {"withdraw", "risk"} <= set(probes)
    assert {c.language for c in first} == {"sv", "en"}
    assert any(t.kind == "trigger" for c in first for t in c.turns)


def test_the_corpus_and_the_response_texts_load() -> None:
    corpus = load_corpus(PROJECT)
    assert len(corpus["sv"]["inform"]) > 100
    names = names_by_text(PROJECT)
    assert "utter_ask_confirm_withdraw" in names.values()


def _report(folder: Path, f1: float) -> Path:
    folder.mkdir(parents=True)
    report = {
        "greet": {"precision": 1, "recall": 1, "f1-score": f1, "support": 5},
        "accuracy": f1,
        "macro avg": {"precision": f1, "recall": f1, "f1-score": f1, "support": 5},
        "weighted avg": {"precision": f1, "recall": f1, "f1-score": f1, "support": 5},
    }
    (folder / "intent_report.json").write_text(json.dumps(report))
    return folder


def test_nlu_scores_hold_the_floor(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = _report(tmp_path / "sv", 0.95)
    bad = _report(tmp_path / "en", 0.80)
    assert nlu_scores.main([str(good), "--min-f1", "0.9"]) == 0
    assert nlu_scores.main([str(good), str(bad), "--min-f1", "0.9"]) == 1
    assert "en: macro F1 0.800" in capsys.readouterr().out


def test_the_static_command_passes(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_static_check() == 0
    assert main(["--static"]) == 0
    assert "violations: 0" in capsys.readouterr().out
