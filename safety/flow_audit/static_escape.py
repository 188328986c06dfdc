"""(b) withdraw and (c) risk, from every state, over rules, stories and forms.

A state is "no check-in running" or "form F running". For each escape intent
there must be a rule for every state, the form must refuse to take the intent
as an answer (``not_intent``), and every flow that hears the intent must go on
to the right place: the withdrawal confirmation (then consent_withdrawn), or
an action that emits risk_flag (and the check-in must not start again).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from safety.flow_audit import policy
from safety.flow_audit.dialogue_files import Domain, Flow, Step
from safety.flow_audit.model import Property, Violation

PASSIVE = frozenset({"active_loop", "slot"})


def next_action(flow: Flow, index: int) -> Step | None:
    """The first action after ``index``, past leaving a form and slot events."""
    for step in flow.steps[index + 1 :]:
        if step.kind in PASSIVE or (step.kind == "action" and step.name == policy.DEACTIVATE):
            continue
        return step if step.kind == "action" else None
    return None


def _starts_with(flow: Flow, intent: str) -> bool:
    return bool(flow.steps) and flow.steps[0] == Step("intent", intent)


def _loop_condition(flow: Flow) -> set[str]:
    return {s.name for s in flow.condition if s.kind == "active_loop" and s.name}


def _leaves_form_first(flow: Flow) -> bool:
    return any(s.kind == "action" and s.name == policy.DEACTIVATE for s in flow.steps[1:3])


def _takes(mapping: dict[str, Any], intent: str) -> bool:
    """Whether a slot mapping would fill its slot on ``intent``."""
    wanted = _as_list(mapping.get("intent"))
    refused = _as_list(mapping.get("not_intent"))
    if intent in refused or (wanted and intent not in wanted):
        return False
    return mapping.get("type") in ("from_text", "from_intent", "from_trigger_intent")


def _not_intent_gaps(domain: Domain, intent: str) -> list[str]:
    """Form slots whose mappings would take ``intent`` as an answer."""
    return [
        f"{form}.{slot}"
        for form, slots in domain.forms.items()
        for slot in slots
        for mapping in domain.slots.get(slot, {}).get("mappings") or []
        if _mapping_in_form(mapping, form) and _takes(mapping, intent)
    ]


def _mapping_in_form(mapping: dict[str, Any], form: str) -> bool:
    conditions = mapping.get("conditions") or []
    return not conditions or any(c.get("active_loop") == form for c in conditions)


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def check_escape(
    prop: Property,
    intent: str,
    flows: list[Flow],
    domain: Domain,
    reaches: Callable[[str], bool],
    target: str,
) -> tuple[int, list[Violation]]:
    """Every state has a rule for ``intent``; every flow hearing it ``reaches`` target."""
    rules = [f for f in flows if f.kind == "rule" and _starts_with(f, intent)]
    found: list[Violation] = []
    states = ["(no check-in)", *domain.forms]
    checks = len(states) + len(domain.forms)
    if not any(not f.condition for f in rules):
        found.append(Violation(prop, intent, f"no unconditioned rule: {intent} outside a check-in"))
    for form in domain.forms:
        in_form = [f for f in rules if _loop_condition(f) == {form}]
        if not any(_leaves_form_first(f) for f in in_form):
            found.append(Violation(prop, intent, f"no rule that leaves {form} on {intent}"))
    for gap in _not_intent_gaps(domain, intent):
        found.append(Violation(prop, gap, f"the form would take {intent} as an answer"))
    for flow in flows:
        for i, step in enumerate(flow.steps):
            if step != Step("intent", intent):
                continue
            checks += 1
            after = next_action(flow, i)
            if after is None or not reaches(after.name):
                got = after.name if after else "nothing"
                found.append(Violation(prop, flow.where, f"{intent} leads to {got}, not {target}"))
    return checks, found


def check_withdraw(
    flows: list[Flow], domain: Domain, emits: dict[str, set[str]]
) -> tuple[int, list[Violation]]:
    withdraws = {a for a, e in emits.items() if policy.WITHDRAWN in e}
    checks, found = check_escape(
        Property.WITHDRAW,
        policy.WITHDRAW_INTENT,
        flows,
        domain,
        lambda name: name == policy.WITHDRAW_CONFIRM or name in withdraws,
        f"{policy.WITHDRAW_CONFIRM} or consent_withdrawn",
    )
    confirmed = 0
    for flow in flows:
        for i, step in enumerate(flow.steps[:-1]):
            if step == Step("action", policy.WITHDRAW_CONFIRM) and flow.steps[i + 1] == Step(
                "intent", policy.AFFIRM
            ):
                checks += 1
                confirmed += 1
                after = next_action(flow, i + 1)
                if after is None or after.name not in withdraws:
                    found.append(
                        Violation(Property.WITHDRAW, flow.where, "a yes does not withdraw consent")
                    )
    if not confirmed:
        found.append(
            Violation(Property.WITHDRAW, policy.WITHDRAW_CONFIRM, "no rule for a yes to it")
        )
    return checks + 1, found


def check_risk(
    flows: list[Flow], domain: Domain, emits: dict[str, set[str]]
) -> tuple[int, list[Violation]]:
    flaggers = {a for a, e in emits.items() if policy.RISK_FLAG in e}
    checks, found = 0, list[Violation]()
    for intent in policy.RISK_INTENTS:
        c, f = check_escape(
            Property.RISK,
            intent,
            flows,
            domain,
            flaggers.__contains__,
            "an action emitting risk_flag",
        )
        checks, found = checks + c, found + f
    for flow in flows:
        for i, step in enumerate(flow.steps):
            flagged = (step.kind == "intent" and step.name in policy.RISK_INTENTS) or (
                step.kind == "slot" and step.name == policy.DISCLOSED_SLOT and step.value is True
            )
            if not flagged:
                continue
            checks += 2
            if step.kind == "slot":
                after = next_action(flow, i)
                if after is None or after.name not in flaggers:
                    found.append(
                        Violation(Property.RISK, flow.where, "disclosure without risk_flag")
                    )
            if any(name in domain.forms for name in _actions_until_user(flow, i)):
                found.append(
                    Violation(Property.RISK, flow.where, "the check-in goes on after a risk")
                )
    c, f = _check_levels(flows)
    c2, f2 = _check_imminent(flows, domain)
    return checks + c + c2, found + f + f2


def _actions_until_user(flow: Flow, index: int) -> list[str]:
    """The bot's actions after ``index``, up to the next thing the user says."""
    names = []
    for step in flow.steps[index + 1 :]:
        if step.kind == "intent":
            break
        if step.kind == "action":
            names.append(step.name)
    return names


def _external_level(flow: Flow) -> str | None:
    for step in flow.steps[1:3]:
        if step.kind == "slot" and step.name == policy.RISK_LEVEL_SLOT:
            return str(step.value)
    return None


def _check_levels(flows: list[Flow]) -> tuple[int, list[Violation]]:
    """EXTERNAL_risk_detected has a rule for every level and for no level."""
    rules = [f for f in flows if f.kind == "rule" and _starts_with(f, policy.EXTERNAL_RISK)]
    seen = {_external_level(f) for f in rules if not _loop_condition(f)}
    seen_in_form = {_external_level(f) for f in rules if _loop_condition(f)}
    found = []
    for level in (*policy.LEVELS, None):
        for where, levels in (("outside", seen), ("inside", seen_in_form)):
            if level not in levels:
                name = level or "no level"
                found.append(
                    Violation(
                        Property.RISK,
                        policy.EXTERNAL_RISK,
                        f"no rule {where} a check-in for {name}",
                    )
                )
    return 2 * (len(policy.LEVELS) + 1), found


def _check_imminent(flows: list[Flow], domain: Domain) -> tuple[int, list[Violation]]:
    """Every imminent path tells the participant the emergency number."""
    checks, found = 0, []
    for flow in flows:
        if not flow.steps:
            continue
        imminent = _starts_with(flow, policy.IMMINENT_INTENT) or (
            _starts_with(flow, policy.EXTERNAL_RISK)
            and _external_level(flow) == policy.IMMINENT_LEVEL
        )
        if not imminent:
            continue
        checks += 1
        said = [s.name for s in flow.steps if s.kind == "action" and s.name in domain.responses]
        for language in domain.languages():
            texts = [t for name in said for t in domain.response_texts(name, language)]
            if not any(policy.EMERGENCY_NUMBER in t for t in texts):
                found.append(
                    Violation(
                        Property.RISK,
                        flow.where,
                        f"imminent path without {policy.EMERGENCY_NUMBER} in {language}",
                    )
                )
    return checks, found
