"""The flow pictures: drawn from the dialogue files, every rule and story in one,
and rendered to SVG by Graphviz without anything a browser would run."""

from __future__ import annotations

from pathlib import Path

from bot.console.pictures import Renderer, by_name, flow_dot, pictures
from safety.flow_audit.dialogue_files import Flow, Step, load_flows

PROJECT = Path(__file__).resolve().parents[2]


def _flow(name: str, *steps: Step, condition: tuple[Step, ...] = ()) -> Flow:
    return Flow("rule", name, "dialogues/rules/x.yml", condition, steps)


def test_paths_that_share_a_step_meet_in_one_node() -> None:
    dot = flow_dot(
        "x",
        [
            _flow("a", Step("intent", "greet"), Step("action", "utter_greet")),
            _flow("b", Step("intent", "hello"), Step("action", "utter_greet")),
        ],
    )
    assert dot.count('"action:utter_greet" [') == 1
    assert '"intent:greet" -> "action:utter_greet";' in dot
    assert '"intent:hello" -> "action:utter_greet";' in dot


def test_a_condition_leads_dashed_into_the_first_step() -> None:
    dot = flow_dot(
        "x",
        [_flow("a", Step("intent", "deny"), condition=(Step("slot", "consented", False),))],
    )
    assert '"slot:consented = False" -> "intent:deny" [style=dashed];' in dot
    assert "shape=note" in dot


def test_a_step_that_reaches_a_person_is_marked() -> None:
    dot = flow_dot("x", [_flow("a", Step("intent", "ask"), Step("action", "action_handoff"))])
    line = next(line for line in dot.splitlines() if line.startswith('  "action:action_handoff"'))
    assert 'color="#a4161a"' in line


def test_names_cannot_break_out_of_their_dot_strings() -> None:
    hostile = 'x"]; evil [label="pwned'
    dot = flow_dot('t"itle', [_flow("a", Step("intent", hostile), Step("action", "b\\"))])
    assert 'x\\"]; evil [label=\\"pwned' in dot
    assert '"t\\"itle"' in dot
    # Graphviz reads two nodes, whatever the names hold.
    assert Renderer().svg(dot).count(b'class="node"') == 2


def test_markup_in_a_drawn_name_is_text_in_the_svg() -> None:
    hostile = "--><script>alert(1)</script><!--"
    slot = Step("slot", "mood", "<img src=x onerror=alert(1)>")
    dot = flow_dot("<svg onload=alert(1)>", [_flow("a", Step("action", hostile), slot)])
    svg = Renderer().svg(dot)
    for raw in (b"<script", b"<img", b"<svg onload", b"--><"):
        assert raw not in svg
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in svg  # drawn, as text


def test_every_rule_and_story_is_in_a_picture() -> None:
    drawn = pictures(PROJECT)
    flows = load_flows(PROJECT / "dialogues", PROJECT)
    assert sum(p.flows for p in drawn) == len(flows)
    names = {p.name for p in drawn}
    assert {"consent", "checkin", "safety", "ways_out", "stories"} <= names
    consent = by_name(drawn, "consent")
    assert consent is not None and "action_record_consent" in consent.dot
    assert by_name(drawn, "nope") is None


def test_graphviz_draws_svg_with_no_script_or_inline_style() -> None:
    renderer = Renderer()
    assert renderer.available, "Graphviz is missing: run make graphviz-setup"
    consent = by_name(pictures(PROJECT), "consent")
    assert consent is not None
    svg = renderer.svg(consent.dot)
    assert b"<svg" in svg and b"action_record_consent" in svg
    for forbidden in (b"<script", b"style=", b"<style", b"href=", b"<foreignObject"):
        assert forbidden not in svg
    assert renderer.svg(consent.dot) is svg  # kept, not drawn again
