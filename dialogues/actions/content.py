"""Per-language texts that actions send: data files, not code.

``dialogues/checkin/<language>.yml`` holds the check-in questions, the short
acknowledgements, the closing and calendar words; ``dialogues/resources/
<language>.yml`` the support resources shown at the closing. Adding a language
means adding these two files. A missing key falls back to the default language.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any, Final

from ruamel.yaml import YAML

from dialogues.actions import gateway

DIALOGUES: Final = Path(__file__).resolve().parent.parent
CHECKIN_ROOT: Final = DIALOGUES / "checkin"
RESOURCES_ROOT: Final = DIALOGUES / "resources"


@cache
def _load(folder: Path, language: str) -> dict[str, Any]:
    path = folder / f"{language}.yml"
    if not path.is_file():
        return {}
    data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}


def _lookup(folder: Path, language: str, keys: tuple[str, ...]) -> Any:
    for lang in (language, gateway.DEFAULT_LANGUAGE):
        node: Any = _load(folder, lang)
        for key in keys:
            node = node.get(key) if isinstance(node, dict) else None
        if node is not None:
            return node
    return None


def checkin_text(language: str, *keys: str) -> str:
    """One text from checkin/<language>.yml, e.g. ``("questions", "mood")``."""
    value = _lookup(CHECKIN_ROOT, language, keys)
    if not isinstance(value, str) or not value.strip():
        raise RuntimeError(f"no check-in text at {'.'.join(keys)}")
    return value.strip()


def checkin_list(language: str, *keys: str) -> list[str]:
    value = _lookup(CHECKIN_ROOT, language, keys)
    return [str(item) for item in value] if isinstance(value, list) else []


def resources(language: str) -> list[str]:
    """Support resources as short lines, in the file's order."""
    value = _lookup(RESOURCES_ROOT, language, ("resources",))
    lines = []
    for item in value if isinstance(value, list) else []:
        if isinstance(item, dict) and item.get("text"):
            lines.append(str(item["text"]).strip())
    return lines
