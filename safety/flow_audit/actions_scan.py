"""Which custom action emits which effect, read from the action sources.

The actions are read with ``ast`` (never imported: rasa-sdk is not installed
here). An action is a class whose ``name()`` returns a string constant; it
emits an effect when it, a base class in the package, or a module function it
calls, calls ``effects.<effect type>(...)``. ``question_payload(...)`` counts
as asking a check-in question.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

QUESTION = "checkin_question"
QUESTION_BUILDER = "question_payload"


@dataclass
class _Class:
    bases: list[str]
    action: str | None
    emits: set[str] = field(default_factory=set)
    calls: set[str] = field(default_factory=set)


def _called(node: ast.AST) -> tuple[set[str], set[str]]:
    """(effect types, plain function names) called anywhere under ``node``."""
    effect_types: set[str] = set()
    functions: set[str] = set()
    for call in ast.walk(node):
        if not isinstance(call, ast.Call):
            continue
        func = call.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            if func.value.id == "effects" and func.attr not in ("emit", "payload", "validate"):
                effect_types.add(func.attr)
        elif isinstance(func, ast.Name):
            if func.id == QUESTION_BUILDER:
                effect_types.add(QUESTION)
            functions.add(func.id)
    return effect_types, functions


def _constant_name(node: ast.ClassDef) -> str | None:
    for item in node.body:
        if isinstance(item, ast.FunctionDef) and item.name == "name":
            for stmt in item.body:
                if (
                    isinstance(stmt, ast.Return)
                    and isinstance(stmt.value, ast.Constant)
                    and isinstance(stmt.value.value, str)
                ):
                    return stmt.value.value
    return None


def _base_name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def scan_actions(actions_dir: Path) -> dict[str, set[str]]:
    """Action name -> effect types (and ``checkin_question``) it can emit."""
    classes: dict[str, _Class] = {}
    functions: dict[str, set[str]] = {}
    for path in sorted(actions_dir.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in tree.body:
            if isinstance(node, ast.ClassDef):
                emits, calls = _called(node)
                classes[node.name] = _Class(
                    bases=[_base_name(b) for b in node.bases],
                    action=_constant_name(node),
                    emits=emits,
                    calls=calls,
                )
            elif isinstance(node, ast.FunctionDef):
                functions[node.name] = _called(node)[0]

    def resolved(name: str, seen: frozenset[str] = frozenset()) -> set[str]:
        cls = classes[name]
        found = set(cls.emits)
        for function in cls.calls:
            found |= functions.get(function, set())
        for base in cls.bases:
            if base in classes and base not in seen:
                found |= resolved(base, seen | {name})
        return found

    return {
        cls.action: resolved(class_name)
        for class_name, cls in classes.items()
        if cls.action is not None
    }
