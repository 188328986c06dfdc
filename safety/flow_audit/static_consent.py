"""(a) No check-in question before consent, over rules, stories and forms."""

from __future__ import annotations

from collections.abc import Iterator

from safety.flow_audit import policy
from safety.flow_audit.dialogue_files import Domain, Flow
from safety.flow_audit.model import Property, Violation


def _consent_actions(emits: dict[str, set[str]]) -> tuple[set[str], set[str]]:
    give = {a for a, e in emits.items() if policy.CONSENT_GIVEN in e}
    end = {a for a, e in emits.items() if e & policy.CONSENT_ENDED}
    return give, end


def _activations(flow: Flow, forms: set[str]) -> Iterator[int]:
    """Indexes of steps that start a form (not a form already running)."""
    running = {s.name for s in flow.condition if s.kind == "active_loop" and s.name}
    for i, step in enumerate(flow.steps):
        if step.kind == "active_loop":
            if step.name:
                running.add(step.name)
            else:
                running.clear()
        elif step.kind == "action" and step.name in forms and step.name not in running:
            yield i


def _consent_before(flow: Flow, index: int, give: set[str], end: set[str]) -> bool:
    consented = any(
        s.kind == "slot" and s.name == policy.CONSENT_SLOT and s.value is True
        for s in flow.condition
    )
    for step in flow.steps[:index]:
        if step.kind == "slot" and step.name == policy.CONSENT_SLOT:
            consented = step.value is True
        elif step.kind == "action" and step.name in give:
            consented = True
        elif step.kind == "action" and step.name in end:
            consented = False
    return consented


def check_flows(
    flows: list[Flow], domain: Domain, emits: dict[str, set[str]]
) -> tuple[int, list[Violation]]:
    give, end = _consent_actions(emits)
    forms = set(domain.forms)
    checks, found = 0, []
    for flow in flows:
        for index in _activations(flow, forms):
            checks += 2
            if not _consent_before(flow, index, give, end):
                found.append(
                    Violation(
                        Property.CONSENT,
                        flow.where,
                        f"starts {flow.steps[index].name} without consent on record",
                    )
                )
            previous = flow.steps[index - 1] if index else None
            if previous is None or previous.name != policy.CHECKIN_START:
                found.append(
                    Violation(
                        Property.DATA,
                        flow.where,
                        f"starts {flow.steps[index].name} without {policy.CHECKIN_START} first",
                    )
                )
        for step in flow.steps:
            if step.kind == "action" and step.name.startswith("action_ask_"):
                checks += 1
                found.append(
                    Violation(Property.CONSENT, flow.where, f"asks {step.name} outside its form")
                )
    return checks, found


def check_questions(domain: Domain, emits: dict[str, set[str]]) -> tuple[int, list[Violation]]:
    """Every question is a checkin_question payload that the gateway can gate."""
    checks, found = 0, []
    for form, slots in domain.forms.items():
        for slot in slots:
            checks += 2
            if f"action_ask_{slot}" not in domain.actions:
                found.append(Violation(Property.CONSENT, f"form {form}", f"no action_ask_{slot}"))
            for plain in (f"utter_ask_{slot}", f"utter_ask_{form}_{slot}"):
                if plain in domain.responses:
                    found.append(
                        Violation(
                            Property.CONSENT,
                            f"form {form}",
                            f"{plain} would ask {slot} as plain text, past the consent gate",
                        )
                    )
    for action, effects in emits.items():
        checks += 1
        if policy.QUESTION in effects and not action.startswith("action_ask_"):
            found.append(
                Violation(Property.CONSENT, f"action {action}", "asks a check-in question")
            )
    return checks, found
