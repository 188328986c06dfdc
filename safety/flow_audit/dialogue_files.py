"""Read the Rasa dialogue files (domain, rules, stories) as plain data."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

DOMAIN_KEYS = frozenset({"intents", "entities", "slots", "forms", "responses", "actions"})


@dataclass(frozen=True)
class Step:
    """One step of a rule or story: an intent, an action, a loop or a slot."""

    kind: str
    name: str
    value: Any = None


@dataclass(frozen=True)
class Flow:
    kind: str  # "rule" or "story"
    name: str
    source: str
    condition: tuple[Step, ...]
    steps: tuple[Step, ...]

    @property
    def where(self) -> str:
        return f"{self.source}: {self.kind} {self.name!r}"

    def index(self, kind: str, name: str, start: int = 0) -> int | None:
        for i in range(start, len(self.steps)):
            if self.steps[i].kind == kind and self.steps[i].name == name:
                return i
        return None


@dataclass
class Domain:
    intents: set[str] = field(default_factory=set)
    actions: set[str] = field(default_factory=set)
    slots: dict[str, dict[str, Any]] = field(default_factory=dict)
    forms: dict[str, list[str]] = field(default_factory=dict)
    responses: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def languages(self) -> list[str]:
        values = self.slots.get("language", {}).get("values", [])
        return [str(v) for v in values] if isinstance(values, list) else []

    def response_texts(self, name: str, language: str) -> list[str]:
        """The texts of one response's variations conditioned on ``language``."""
        texts = []
        for variation in self.responses.get(name, []):
            for condition in variation.get("condition") or []:
                if condition.get("name") == "language" and condition.get("value") == language:
                    texts.append(str(variation.get("text", "")))
        return texts


def _yaml_files(root: Path) -> Iterator[Path]:
    yield from sorted(p for p in root.rglob("*.yml") if p.is_file())


def _load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}


def _first_key(entry: Any) -> str:
    return str(next(iter(entry))) if isinstance(entry, dict) else str(entry)


def load_domain(dialogues: Path) -> Domain:
    domain = Domain()
    for path in _yaml_files(dialogues):
        data = _load(path)
        if not DOMAIN_KEYS & data.keys():
            continue
        domain.intents.update(_first_key(i) for i in data.get("intents") or [])
        domain.actions.update(_first_key(a) for a in data.get("actions") or [])
        domain.slots.update(data.get("slots") or {})
        for form, spec in (data.get("forms") or {}).items():
            domain.forms[str(form)] = [str(s) for s in (spec or {}).get("required_slots", [])]
        domain.responses.update(data.get("responses") or {})
    return domain


def _steps(raw: list[Any] | None) -> tuple[Step, ...]:
    steps: list[Step] = []
    for entry in raw or []:
        if not isinstance(entry, dict):
            continue
        if "intent" in entry:
            steps.append(Step("intent", str(entry["intent"])))
        elif "action" in entry:
            steps.append(Step("action", str(entry["action"])))
        elif "active_loop" in entry:
            value = entry["active_loop"]
            steps.append(Step("active_loop", "" if value is None else str(value)))
        elif "slot_was_set" in entry:
            for pair in entry["slot_was_set"] or []:
                if isinstance(pair, dict):
                    steps.extend(Step("slot", str(k), v) for k, v in pair.items())
                else:
                    steps.append(Step("slot", str(pair)))
    return tuple(steps)


def load_flows(dialogues: Path, project: Path) -> list[Flow]:
    """Every rule and story under ``dialogues``, in file order."""
    flows: list[Flow] = []
    for path in _yaml_files(dialogues):
        data = _load(path)
        source = str(path.relative_to(project))
        for kind, key in (("rule", "rules"), ("story", "stories")):
            for entry in data.get(key) or []:
                if not isinstance(entry, dict):
                    continue
                flows.append(
                    Flow(
                        kind=kind,
                        name=str(entry.get(kind, "")),
                        source=source,
                        condition=_steps(entry.get("condition")),
                        steps=_steps(entry.get("steps")),
                    )
                )
    return flows
