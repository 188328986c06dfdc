"""Labelled risk examples: `data/risk/*.jsonl`, one `{"id","lang","level","text"}` per line.

The data is synthetic, written for this project; it holds no participant's words.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from safety.risk.levels import RiskLevel

DATA_DIR = Path(__file__).resolve().parents[2] / "data" / "risk"
TRAIN_PATH = DATA_DIR / "train.jsonl"
TEST_PATH = DATA_DIR / "test.jsonl"


@dataclass(frozen=True, slots=True)
class Example:
    """One labelled message."""

    example_id: str
    lang: str
    level: RiskLevel
    text: str


def parse_examples(lines: Iterable[str], source: str = "<lines>") -> Iterator[Example]:
    """Parse JSON lines into examples; blank lines are skipped, bad lines raise ValueError."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            yield Example(
                str(raw["id"]), str(raw["lang"]), RiskLevel.parse(raw["level"]), raw["text"]
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"{source}:{number}: bad example ({type(exc).__name__})") from None


def load_examples(path: Path) -> list[Example]:
    """Read every example in a JSONL file."""
    with path.open(encoding="utf-8") as handle:
        return list(parse_examples(handle, path.name))
