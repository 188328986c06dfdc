"""NLU examples per language and intent: training (nlu_data/<lang>/) and held out.

Used for the data checks (enough examples, no held-out example in training)
and as the pool of realistic texts the dynamic audit sends.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

_ANNOTATION = re.compile(r"\[([^\]]+)\]\{[^}]*\}|\[([^\]]+)\]\([^)]*\)")

Examples = dict[str, list[str]]


def plain(example: str) -> str:
    """The text of an example without entity annotations."""
    return _ANNOTATION.sub(lambda m: m.group(1) or m.group(2), example).strip()


def read_examples(paths: list[Path]) -> Examples:
    found: Examples = {}
    for path in paths:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for item in data.get("nlu") or []:
            if not isinstance(item, dict) or "intent" not in item:
                continue
            lines = str(item.get("examples", "")).splitlines()
            texts = [plain(line.strip()[2:]) for line in lines if line.strip().startswith("- ")]
            found.setdefault(str(item["intent"]), []).extend(t for t in texts if t)
    return found


def languages(project: Path) -> list[str]:
    root = project / "nlu_data"
    return sorted(p.name for p in root.iterdir() if p.is_dir()) if root.is_dir() else []


def training(project: Path, language: str) -> Examples:
    return read_examples(sorted((project / "nlu_data" / language).glob("*.yml")))


def heldout(project: Path, language: str) -> Examples:
    path = project / "tests" / "nlu_heldout" / f"{language}.yml"
    return read_examples([path]) if path.is_file() else {}
