"""Summarise ``rasa test nlu`` results and hold them to a floor.

    python -m safety.flow_audit.nlu_scores var/nlu-heldout/sv var/nlu-heldout/en --min-f1 0.90

Each folder holds the intent_report.json that ``rasa test nlu --out`` wrote.
Prints macro F1, accuracy and the weakest intents; exits 1 if a macro F1 is
below ``--min-f1``.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

SUMMARY_KEYS = frozenset({"accuracy", "macro avg", "weighted avg", "micro avg"})


@dataclass(frozen=True)
class Scores:
    name: str
    macro_f1: float
    accuracy: float
    examples: int
    weakest: tuple[tuple[str, float], ...]


def read_scores(folder: Path, weakest: int = 3) -> Scores:
    report = json.loads((folder / "intent_report.json").read_text(encoding="utf-8"))
    macro = report["macro avg"]
    per_intent = sorted(
        (float(v["f1-score"]), k)
        for k, v in report.items()
        if k not in SUMMARY_KEYS and isinstance(v, dict)
    )
    return Scores(
        name=folder.name,
        macro_f1=float(macro["f1-score"]),
        accuracy=float(report.get("accuracy", 0.0)),
        examples=int(macro.get("support", 0)),
        weakest=tuple((k, f1) for f1, k in per_intent[:weakest]),
    )


def line(scores: Scores) -> str:
    weak = ", ".join(f"{k} {f1:.2f}" for k, f1 in scores.weakest)
    return (
        f"{scores.name}: macro F1 {scores.macro_f1:.3f}, accuracy {scores.accuracy:.3f}, "
        f"{scores.examples} examples (weakest: {weak})"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="+", type=Path)
    parser.add_argument("--min-f1", type=float, default=0.0)
    args = parser.parse_args(argv)
    failed = False
    for folder in args.folders:
        scores = read_scores(folder)
        print(line(scores))
        if scores.macro_f1 < args.min_f1:
            print(f"  below the floor of {args.min_f1:.2f}")
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
