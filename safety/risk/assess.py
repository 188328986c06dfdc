"""The single entry point production uses to screen one inbound message.

    assessment = assess(text, RiskContext(language="sv"))

Three independent sources each produce signals; the highest level wins and the
rationale lists every contributing category:
1. patterns (per-language data files): explicit threats, plans, means, places, times;
2. the classifier (a confidence-thresholded second opinion, capped at HIGH);
3. context (trends and missed check-ins).
Pure function: no I/O after the first call loads patterns and model; text is never logged.
"""

from __future__ import annotations

from safety.risk.classifier import load_model
from safety.risk.context import RiskContext, context_signals
from safety.risk.levels import Assessment, Signal, combine
from safety.risk.normalise import normalise
from safety.risk.patterns import load_lexicon, match

__all__ = ["RiskContext", "assess", "warm_up"]


def warm_up() -> None:
    """Load and compile patterns and model now, so the first message is not slow."""
    load_lexicon()
    load_model()


def assess(text: str, ctx: RiskContext) -> Assessment:
    """Assess one message in its context. Never raises on odd text; empty text is NONE."""
    result = match(load_lexicon(), normalise(text))
    signals: list[Signal] = list(result.signals)
    lifted = load_model().signal(result.masked)
    if lifted is not None:
        signals.append(lifted)
    signals.extend(context_signals(ctx))
    return combine(tuple(signals))
