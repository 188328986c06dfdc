"""Read one bot reply the way the gateway does, and judge it.

The simulated gateway keeps the participant's consent: it changes only with
effects, in order, exactly as ``bot/core/replies.py`` does. A check-in
question while that state is "no consent" breaks property (a).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from safety.flow_audit import policy

Validate = Callable[[Mapping[str, Any]], list[str]]


@dataclass
class Reply:
    """What the bot said in one turn, in order."""

    said: list[str] = field(default_factory=list)  # response names, "text" if unknown
    texts: list[str] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)
    effects: list[dict[str, Any]] = field(default_factory=list)
    unconsented_questions: list[str] = field(default_factory=list)
    contract_problems: list[str] = field(default_factory=list)
    consented_after: bool = False

    def effect_types(self) -> list[str]:
        return [str(e.get("type")) for e in self.effects]

    def risk_levels(self) -> list[str]:
        return [str(e.get("level")) for e in self.effects if e.get("type") == policy.RISK_FLAG]

    def last_said(self) -> str | None:
        return self.said[-1] if self.said else None


def read_reply(
    messages: list[dict[str, Any]],
    consented: bool,
    validate: Validate,
    names_by_text: Mapping[str, str],
) -> Reply:
    reply = Reply(consented_after=consented)
    for message in messages:
        text = message.get("text")
        if isinstance(text, str) and text:
            reply.texts.append(text)
            reply.said.append(names_by_text.get(text, "text"))
        custom = message.get("custom")
        if custom is None:
            continue
        samtal = custom.get("samtal") if isinstance(custom, dict) else None
        kind = samtal.get("kind") if isinstance(samtal, dict) else None
        if not isinstance(samtal, dict) or kind not in ("effects", "document", policy.QUESTION):
            reply.contract_problems.append("custom payload the gateway does not know")
        elif kind == "document":
            # A text sent as one message (the consent text): said, never a question.
            reply.texts.append(str(samtal.get("text", "")))
            reply.said.append("document")
        elif kind == "effects":
            _effects(reply, samtal, validate)
        else:
            question = str(samtal.get("question"))
            reply.questions.append(question)
            reply.said.append(f"{policy.QUESTION}:{question}")
            if not reply.consented_after:
                reply.unconsented_questions.append(question)
    return reply


def _effects(reply: Reply, payload: dict[str, Any], validate: Validate) -> None:
    problems = validate(payload)
    if problems:
        reply.contract_problems.extend(f"effects break the schema at {p}" for p in problems)
        return
    for effect in payload["effects"]:
        reply.effects.append(dict(effect))
        if effect["type"] == policy.CONSENT_GIVEN:
            reply.consented_after = True
        elif effect["type"] in policy.CONSENT_ENDED:
            reply.consented_after = False


def at_least(level: str, wanted: str) -> bool:
    order = {name: rank for rank, name in enumerate(policy.LEVELS)}
    return order.get(level, -1) >= order.get(wanted, len(order))
