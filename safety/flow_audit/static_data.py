"""Completeness: names resolve, every response speaks every language, NLU sets."""

from __future__ import annotations

from pathlib import Path

from safety.flow_audit import nlu_sets, policy
from safety.flow_audit.dialogue_files import Domain, Flow
from safety.flow_audit.model import Property, Violation


def check_names(flows: list[Flow], domain: Domain) -> tuple[int, list[Violation]]:
    known_actions = domain.actions | set(domain.responses) | set(domain.forms)
    known_actions |= policy.DEFAULT_ACTIONS
    intents = domain.intents | {policy.FALLBACK_INTENT}
    checks, found = 0, []
    for flow in flows:
        for step in (*flow.condition, *flow.steps):
            checks += 1
            if step.kind == "action" and step.name not in known_actions:
                found.append(Violation(Property.DATA, flow.where, f"unknown action {step.name}"))
            elif step.kind == "intent" and step.name not in intents:
                found.append(Violation(Property.DATA, flow.where, f"unknown intent {step.name}"))
            elif step.kind == "slot" and step.name not in {*domain.slots, "requested_slot"}:
                found.append(Violation(Property.DATA, flow.where, f"unknown slot {step.name}"))
    return checks, found


def check_languages(domain: Domain) -> tuple[int, list[Violation]]:
    """Every response has a variation per language and one without a condition."""
    checks, found = 0, []
    for name, variations in sorted(domain.responses.items()):
        for language in domain.languages():
            checks += 1
            if not domain.response_texts(name, language):
                found.append(Violation(Property.DATA, name, f"no {language} variation"))
        checks += 1
        if not any(not v.get("condition") for v in variations):
            found.append(Violation(Property.DATA, name, "no unconditioned fallback variation"))
    return checks, found


def check_nlu(project: Path, domain: Domain) -> tuple[int, list[Violation]]:
    """Enough examples per intent per language; held-out examples never trained on."""
    checks, found = 0, []
    typed = {i for i in domain.intents if not i.startswith("EXTERNAL_")}
    for language in nlu_sets.languages(project):
        train = nlu_sets.training(project, language)
        for intent in sorted(typed):
            checks += 1
            count = len({t.lower() for t in train.get(intent, [])})
            if count < policy.MIN_EXAMPLES:
                found.append(
                    Violation(
                        Property.DATA,
                        f"nlu_data/{language}",
                        f"{intent} has {count} distinct examples (< {policy.MIN_EXAMPLES})",
                    )
                )
        trained = {t.lower() for texts in train.values() for t in texts}
        for intent, texts in nlu_sets.heldout(project, language).items():
            for text in texts:
                checks += 1
                if text.lower() in trained:
                    found.append(
                        Violation(
                            Property.DATA,
                            f"tests/nlu_heldout/{language}.yml",
                            f"{intent} example is also a training example",
                        )
                    )
    return checks, found
