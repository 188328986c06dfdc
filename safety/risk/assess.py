"""The single entry point production uses to screen one inbound message.

    assessment = assess(text, RiskContext(language="sv"))

Three independent sources each produce signals; the highest level wins and the
rationale lists every contributing category:
1. the encoder (a multilingual sentence encoder with calibrated classifier heads):
   generalises to phrasings, typos and languages nobody wrote a pattern for;
2. patterns (per-language data files): explicit threats, plans, means, places, times,
   a deterministic floor that no model update can lose;
3. context (trends and missed check-ins).
Pure function of its inputs: no I/O after the first call loads patterns and models;
text is never logged.
"""

from __future__ import annotations

from safety.risk.context import RiskContext, context_signals
from safety.risk.levels import Assessment, Signal, combine
from safety.risk.normalise import readings
from safety.risk.patterns import load_lexicon, match
from safety.risk.semantic import load_semantic_model

__all__ = ["RiskContext", "assess", "supported_languages", "warm_up"]


def warm_up() -> None:
    """Load patterns, encoder and heads now, so the first message is not slow."""
    load_lexicon()
    load_semantic_model().signal("warm up")


def supported_languages() -> frozenset[str]:
    """Languages with a pattern file; the encoder itself reads about a hundred."""
    return frozenset(load_lexicon().languages)


def pattern_signals(text: str) -> tuple[Signal, ...]:
    """What the patterns find in any of the text's normalised readings."""
    found: dict[tuple[str, str], Signal] = {}
    for reading in readings(text):
        for signal in match(load_lexicon(), reading).signals:
            found.setdefault((signal.category, signal.evidence), signal)
    return tuple(found.values())


def assess(text: str, ctx: RiskContext) -> Assessment:
    """Assess one message in its context. Never raises on odd text; empty text is NONE."""
    signals = list(pattern_signals(text))
    learned = load_semantic_model().signal(text)
    if learned is not None:
        signals.append(learned)
    signals.extend(context_signals(ctx))
    return combine(tuple(signals))
