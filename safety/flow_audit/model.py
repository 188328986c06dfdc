"""Plain data for audit results."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import Enum


class Property(str, Enum):
    """What a violation breaks."""

    CONSENT = "a: no check-in question before consent"
    WITHDRAW = "b: withdraw leads to withdrawal from every state"
    RISK = "c: risk leads to the safety flow and a risk_flag from every state"
    CONTRACT = "effects and payloads keep the gateway contract"
    DATA = "dialogue data is complete and consistent"


@dataclass(frozen=True)
class Violation:
    prop: Property
    where: str
    detail: str

    def line(self) -> str:
        return f"[{self.prop.name.lower()}] {self.where}: {self.detail}"


@dataclass
class StaticReport:
    rules: int = 0
    stories: int = 0
    checks: int = 0
    violations: list[Violation] = field(default_factory=list)


@dataclass
class DynamicReport:
    conversations: int = 0
    turns: int = 0
    seconds: float = 0.0
    probes: Counter[str] = field(default_factory=Counter)
    # distinct dialogue states (what the bot last said) each probe was fired from
    probe_states: dict[str, set[str]] = field(default_factory=dict)
    checkin_questions: int = 0
    violations: list[Violation] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
