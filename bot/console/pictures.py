"""Pictures of the dialogue flows, drawn from the Rasa rules and stories, never
by hand: one picture per dialogue file (consent, check-in, safety, ways out, …).

Each rule or story is a path through the picture: what must hold first (a slot,
an active form) in a note, what the participant says as an ellipse, what the
bot does as a box. Steps with the same name in one file are one node, so the
paths that share them meet. The DOT text is made here, pure; Graphviz (Debian's
``graphviz`` package) turns it into SVG, and the SVG is kept per DOT text, so a
change in the dialogue files gives a new picture at the next request.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import shutil
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from safety.flow_audit.dialogue_files import Flow, Step, load_flows

RENDER_SECONDS = 20.0
# Names of steps that hand the conversation to a person or raise a page.
_TO_A_HUMAN = re.compile(r"handoff|human|escalat|mediator|emergency|risk", re.IGNORECASE)
_SHAPES = {
    "intent": 'shape=ellipse, style=filled, fillcolor="#e8f0fe"',
    "action": 'shape=box, style="rounded,filled", fillcolor="#f3f3f3"',
    "slot": 'shape=note, style=filled, fillcolor="#fff6d6"',
    "active_loop": 'shape=component, style=filled, fillcolor="#e6f4ea"',
}
_OTHER_SHAPE = "shape=box"
_HUMAN_SHAPE = 'shape=box, style="rounded,filled,bold", fillcolor="#fde2e1", color="#a4161a"'


@dataclass(frozen=True)
class Picture:
    name: str  # a slug from the file name: "consent", "checkin", "stories"
    source: str
    flows: int
    dot: str


def _quoted(value: str) -> str:
    """A DOT string: every character that could end or escape it is escaped."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def _label(step: Step) -> str:
    if step.kind == "slot":
        return f"{step.name} = {step.value}"
    if step.kind == "active_loop":
        return f"form {step.name}" if step.name != "null" else "no form active"
    return step.name


def _node_id(step: Step) -> str:
    return _quoted(f"{step.kind}:{_label(step)}")


def _shape(step: Step) -> str:
    if step.kind == "action" and _TO_A_HUMAN.search(step.name):
        return _HUMAN_SHAPE
    return _SHAPES.get(step.kind, _OTHER_SHAPE)


def flow_dot(title: str, flows: Sequence[Flow]) -> str:
    """One DOT digraph for ``flows``: nodes shared by name, an edge per step taken,
    dashed from a condition into the first step."""
    nodes: dict[str, str] = {}
    edges: dict[tuple[str, str, bool], None] = {}
    for flow in flows:
        for step in (*flow.condition, *flow.steps):
            nodes.setdefault(_node_id(step), f"label={_quoted(_label(step))}, {_shape(step)}")
        path = [_node_id(step) for step in flow.steps]
        first = path[0] if path else None
        if first is not None:
            for condition in flow.condition:
                edges[(_node_id(condition), first, True)] = None
        for here, there in itertools.pairwise(path):
            edges[(here, there, False)] = None
    lines = [
        f"digraph {_quoted(title)} {{",
        f"  label={_quoted(title)}; labelloc=t; rankdir=TB; fontname=sans;",
        '  node [fontname=sans, fontsize=11]; edge [color="#555555"];',
    ]
    lines += [f"  {node} [{attrs}];" for node, attrs in nodes.items()]
    lines += [f"  {a} -> {b}{' [style=dashed]' if dashed else ''};" for a, b, dashed in edges]
    return "\n".join(lines) + "\n}\n"


def _slug(source: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", Path(source).stem.lower()).strip("_") or "flows"


def pictures(project: Path) -> list[Picture]:
    """One picture per dialogue file that holds rules or stories."""
    by_source: dict[str, list[Flow]] = {}
    for flow in load_flows(project / "dialogues", project):
        by_source.setdefault(flow.source, []).append(flow)
    return [
        Picture(
            name=_slug(source),
            source=source,
            flows=len(flows),
            dot=flow_dot(_slug(source).replace("_", " "), flows),
        )
        for source, flows in sorted(by_source.items())
    ]


class Renderer:
    """DOT to SVG with Graphviz's ``dot``, kept per DOT text."""

    def __init__(self, dot_program: str | None = None) -> None:
        self._dot = dot_program or shutil.which("dot")
        self._kept: dict[str, bytes] = {}

    @property
    def available(self) -> bool:
        return self._dot is not None

    def svg(self, dot: str) -> bytes:
        key = hashlib.sha256(dot.encode()).hexdigest()
        kept = self._kept.get(key)
        if kept is not None:
            return kept
        if self._dot is None:
            raise FileNotFoundError("Graphviz is missing: apt-get install graphviz")
        done = subprocess.run(
            [self._dot, "-Tsvg"],
            input=dot.encode(),
            capture_output=True,
            timeout=RENDER_SECONDS,
            check=True,
        )
        self._kept[key] = done.stdout
        return done.stdout


def by_name(found: Iterable[Picture], name: str) -> Picture | None:
    return next((p for p in found if p.name == name), None)
