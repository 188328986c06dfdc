"""Labelled risk messages, grouped in paraphrase families, and the family-held-out split.

Files (see data/risk/README.md for how they were made):
* `data/risk/families/*.jsonl`: `{"family","lang","level","category","style","text"}`,
  and `"pair"` on a line of a contrast pair; a family is one situation written several
  ways, and it is split as a whole (a contrast pair, its two families, as one);
* `data/risk/legacy.jsonl`: the project's earlier messages, one family each, without a
  category. They train the level head only and never enter the test split, because the
  patterns were written while reading them;
* `data/risk/unseen/*.jsonl`: messages by writers who never saw the data, the patterns
  or any model. They are only ever scored (`load_unseen`), never trained on or used to
  choose anything, so they measure the screen on phrasings nobody here wrote;
* `data/risk/decision/*.jsonl`: the decision set, by more writers who never saw the data.
  Never trained on and never read to shape a candidate: it is read once per candidate,
  beside the shipped screen, to decide under a rule written down before (`load_decision`).

The split is a pure function of the family id, or of its pair (SHA-256), so it never
changes when data is added, and no message of a test family is ever trained on.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from safety.risk.levels import RiskLevel

DATA_DIR = Path(__file__).resolve().parents[2] / "data" / "risk"
FAMILY_DIR = DATA_DIR / "families"
LEGACY_PATH = DATA_DIR / "legacy.jsonl"
UNSEEN_DIR = DATA_DIR / "unseen"
DECISION_DIR = DATA_DIR / "decision"
TEST_SHARE = 25  # percent of families held out for the test split
NONE_KINDS_PATH = DATA_DIR / "none_kinds.json"
ORDINARY_PREFIX = "ord-"


@dataclass(frozen=True, slots=True)
class Example:
    """One labelled message."""

    family: str
    lang: str
    level: RiskLevel
    category: str | None
    style: str
    text: str
    # Contrast pairs (a harmless family and its dangerous twin, one clause apart) name
    # their pair, and a pair is split and folded as one: a twin on the other side would
    # be a near copy of a test message in training.
    pair: str = ""

    @property
    def is_legacy(self) -> bool:
        return self.family.startswith("legacy-")

    @property
    def split_key(self) -> str:
        """What the split and the folds hash: the family, or the pair it belongs to."""
        if not self.pair:
            return self.family
        return f"{self.family.rsplit('-', 1)[0]}-pair-{self.pair}"


def parse_examples(lines: Iterable[str], source: str = "<lines>") -> Iterator[Example]:
    """Parse JSON lines into examples; blank lines are skipped, bad lines raise ValueError."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            category = raw.get("category")
            text = raw["text"]
            pair = raw.get("pair", "")
            if not isinstance(text, str) or not (category is None or isinstance(category, str)):
                raise TypeError("text or category")
            if not isinstance(pair, str):  # a null or a number would group lines by accident
                raise TypeError("pair")
            yield Example(
                family=str(raw["family"]),
                lang=str(raw["lang"]),
                level=RiskLevel.parse(raw["level"]),
                category=category,
                style=str(raw.get("style", "")),
                text=text,
                pair=pair,
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"{source}:{number}: bad example ({type(exc).__name__})") from None


def load_file(path: Path) -> list[Example]:
    with path.open(encoding="utf-8") as handle:
        return list(parse_examples(handle, path.name))


def load_all(data_dir: Path = DATA_DIR) -> list[Example]:
    """Every example: the family files in name order, then the legacy file."""
    examples: list[Example] = []
    for path in sorted((data_dir / "families").glob("*.jsonl")):
        examples.extend(load_file(path))
    legacy = data_dir / LEGACY_PATH.name
    if legacy.exists():
        # A legacy message also written into a family is dropped, so a test family's
        # text can never be trained on through the legacy file.
        seen = {e.text for e in examples}
        examples.extend(e for e in load_file(legacy) if e.text not in seen)
    return examples


def load_unseen(unseen_dir: Path = UNSEEN_DIR) -> list[Example]:
    """The messages by writers who never saw the data (every file of the folder, in name
    order): for evaluation only."""
    examples: list[Example] = []
    for path in sorted(unseen_dir.glob("*.jsonl")):
        examples.extend(load_file(path))
    return examples


def waiting_rounds(data_dir: Path = DATA_DIR) -> list[Path]:
    """The folders of rounds written but not yet trained on (`round5/`, …), in name order."""
    return sorted(path for path in data_dir.glob("round*") if path.is_dir())


def load_waiting(data_dir: Path = DATA_DIR) -> list[Example]:
    """The rounds waiting for a retraining: never read by training or the split, only
    checked like data and kept apart from the sets that judge the screen."""
    paths = [path for folder in waiting_rounds(data_dir) for path in sorted(folder.glob("*.jsonl"))]
    return [example for path in paths for example in load_file(path)]


def load_decision(decision_dir: Path = DECISION_DIR) -> list[Example]:
    """The decision set: read only to decide whether a candidate ships."""
    return load_unseen(decision_dir)


def ordinary_families(path: Path = NONE_KINDS_PATH) -> frozenset[str]:
    """Families of ordinary none messages in the mixed file (the `ord-` files are all so)."""
    kinds = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    return frozenset(family for family, kind in kinds.items() if kind == "ordinary")


def is_hard_negative(example: Example, ordinary: frozenset[str]) -> bool:
    """A harmless message that shares words or themes with dangerous ones."""
    return (
        example.level is RiskLevel.NONE
        and not example.is_legacy
        and not example.family.startswith(ORDINARY_PREFIX)
        and example.family not in ordinary
    )


def family_bucket(family: str) -> int:
    """A stable number 0–99 for a family id."""
    return int(hashlib.sha256(family.encode("utf-8")).hexdigest()[:8], 16) % 100


def is_test(example: Example) -> bool:
    return not example.is_legacy and family_bucket(example.split_key) < TEST_SHARE


def split(examples: Sequence[Example]) -> tuple[list[Example], list[Example]]:
    """(train, test), by family."""
    train = [e for e in examples if not is_test(e)]
    test = [e for e in examples if is_test(e)]
    return train, test


def folds(examples: Sequence[Example], count: int) -> list[int]:
    """A fold number per example for grouped cross-validation: families (and pairs)
    never straddle."""
    return [
        int(hashlib.sha256(("fold:" + e.split_key).encode("utf-8")).hexdigest()[:8], 16) % count
        for e in examples
    ]


def data_digest(examples: Sequence[Example]) -> str:
    """SHA-256 over the examples' labels and texts, in order: which data a model saw."""
    digest = hashlib.sha256()
    for e in examples:
        row = [e.family, e.lang, e.level.value, e.category or "", e.text]
        if e.pair:  # it moves the split and the folds; without one, digests are as before
            row.append(e.pair)
        digest.update(json.dumps(row, ensure_ascii=False).encode("utf-8") + b"\n")
    return digest.hexdigest()
