"""The risk taxonomy: categories drawn from validated IPV risk instruments.

`taxonomy.json` lists each category with its default level, the level it rises to when
means, place, time or a decided plan are present, and the instrument items it comes
from (Campbell's Danger Assessment, SARA, B-SAFER, PATRIARK, FREDA). The data, the
screen's category head and docs/safety.md all use these ids.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from safety.risk.levels import RiskLevel

NONE_CATEGORY = "none"


@dataclass(frozen=True, slots=True)
class Category:
    """One kind of risk and how serious it is by default."""

    name: str
    level: RiskLevel
    raise_to: RiskLevel
    sources: tuple[str, ...]
    about: str


@lru_cache(maxsize=1)
def load_taxonomy() -> dict[str, Category]:
    """Every category by id, in file order (cached for the process)."""
    text = resources.files("safety.risk").joinpath("taxonomy.json").read_text(encoding="utf-8")
    raw = json.loads(text)["categories"]
    return {
        name: Category(
            name=name,
            level=RiskLevel.parse(entry["level"]),
            raise_to=RiskLevel.parse(entry["raise_to"]),
            sources=tuple(entry["sources"]),
            about=str(entry["about"]),
        )
        for name, entry in raw.items()
    }
