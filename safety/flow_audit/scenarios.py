"""Randomised conversations: a start, a random walk with interruptions, a probe.

Pure and deterministic for a seed. Probes are sent as explicit intents
(``/withdraw_consent``) or as the gateway's trigger, so they test the
dialogue, not the NLU; everything else mixes real texts from the NLU sets,
numbers, gibberish, explicit intents and language switches.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field, replace

from safety.flow_audit import policy

Corpus = dict[str, dict[str, list[str]]]  # language -> intent -> texts

ANSWER_INTENTS = ("inform", "affirm", "deny", "distress", "thank")
ASIDE_INTENTS = (
    "greet",
    "help",
    "bot_challenge",
    "ask_privacy",
    "abuse",
    "resume",
    "pause",
    "checkin_request",
    "goodbye",
    "thank",
    "request_human",
    "delete_data",
    "distress",
    "out_of_scope",
    "affirm",
    "deny",
    "inform",
)
NLU_RISK = {
    "risk_imminent": "imminent",
    "risk_self_harm": "high",
    "risk_harm_other": "high",
    "victim_location": "high",
}
WALK_LENGTHS = (0, 0, 0, 1, 1, 1, 2, 3, 4, 8)


@dataclass(frozen=True)
class Turn:
    kind: str  # "text", "trigger" or "session" (a new session, as the gateway starts it)
    text: str = ""
    intent: str = ""
    entities: dict[str, str] = field(default_factory=dict)
    language: str | None = None  # the gateway's metadata language for this turn
    probe: str = ""  # withdraw, withdraw_yes, withdraw_no, risk
    level: str = ""  # the least risk level a risk probe must flag


@dataclass(frozen=True)
class Conversation:
    sender: str
    language: str
    consented: bool
    turns: tuple[Turn, ...]


def _intent(name: str, entities: dict[str, str] | None = None, probe: str = "") -> Turn:
    suffix = json.dumps(entities, separators=(",", ":")) if entities else ""
    return Turn("text", text=f"/{name}{suffix}", probe=probe)


class Planner:
    def __init__(self, corpus: Corpus, seed: int) -> None:
        self._corpus = corpus
        self._languages = sorted(corpus)
        self._rng = random.Random(seed)

    def _text(self, language: str, intents: tuple[str, ...]) -> Turn:
        texts = [t for i in intents for t in self._corpus[language].get(i, [])]
        return Turn("text", text=self._rng.choice(texts)) if texts else _intent(intents[0])

    def _gibberish(self) -> Turn:
        letters = "abcdefghijklmnopqrstuvwxyzåäö"
        words = ["".join(self._rng.choices(letters, k=self._rng.randint(2, 8))) for _ in "xyz"]
        return Turn("text", text=" ".join(words[: self._rng.randint(1, 3)]))

    def _start(self, language: str, consented: bool) -> list[Turn]:
        pick = self._rng.random()
        if pick < 0.4:
            turns = [self._text(language, ("greet",))]
        elif pick < 0.65:
            turns = [Turn("session"), Turn("trigger", intent="EXTERNAL_checkin_due")]
        elif pick < 0.85:
            turns = [_intent("checkin_request")]
        else:
            return [self._step(language)]
        # most say yes: to the consent question, or to the offered check-in
        roll = self._rng.random()
        turns.append(_intent("affirm") if roll < 0.8 else self._step(language))
        return turns

    def _step(self, language: str) -> Turn:
        roll = self._rng.random()
        if roll < 0.45:
            turn = self._text(language, ANSWER_INTENTS)
        elif roll < 0.52:
            turn = Turn("text", text=str(self._rng.randint(0, 7)))
        elif roll < 0.57:
            turn = self._gibberish()
        elif roll < 0.77:
            turn = _intent(self._rng.choice(ASIDE_INTENTS))
        elif roll < 0.87:
            turn = self._text(language, (self._rng.choice(ASIDE_INTENTS),))
        elif roll < 0.93:
            target = self._rng.choice(self._languages)
            turn = _intent("change_language", {"lang": target})
        else:
            turn = Turn("trigger", intent="EXTERNAL_checkin_due")
        if self._rng.random() < 0.1:  # the gateway detected another language
            return replace(turn, language=self._rng.choice(self._languages))
        return turn

    def _probe(self) -> list[Turn]:
        if self._rng.random() < 0.45:
            answer = "affirm" if self._rng.random() < 0.85 else "deny"
            probe = "withdraw_yes" if answer == "affirm" else "withdraw_no"
            return [
                _intent(policy.WITHDRAW_INTENT, probe="withdraw"),
                _intent(answer, probe=probe),
            ]
        if self._rng.random() < 0.6:
            intent = self._rng.choice(sorted(NLU_RISK))
            first = Turn("text", text=f"/{intent}", probe="risk", level=NLU_RISK[intent])
        else:
            level = self._rng.choice(policy.LEVELS)
            first = Turn(
                "trigger",
                intent=policy.EXTERNAL_RISK,
                entities={policy.RISK_LEVEL_SLOT: level},
                probe="risk",
                level=level,
            )
        return [first]

    def conversation(self, number: int, prefix: str) -> Conversation:
        language = self._rng.choice(self._languages)
        consented = self._rng.random() < 0.5
        turns = self._start(language, consented)
        turns += [self._step(language) for _ in range(self._rng.choice(WALK_LENGTHS))]
        if self._rng.random() < 0.95:
            turns += self._probe()
        return Conversation(f"{prefix}-{number:05d}", language, consented, tuple(turns))
