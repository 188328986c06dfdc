"""The dynamic audit: randomised conversations through a running Rasa.

Every turn is checked for (a) and the gateway contract; probe turns for (b)
and (c); after each probe the tracker must show no active check-in.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any, Protocol

from safety.consent_terms import ConsentTerms
from safety.flow_audit import nlu_sets, policy, probes
from safety.flow_audit.dialogue_files import load_domain
from safety.flow_audit.model import DynamicReport, Property, Violation
from safety.flow_audit.oracle import Reply, Validate, read_reply
from safety.flow_audit.scenarios import Conversation, Corpus, Planner, Turn
from safety.flow_audit.schema import load_validator

PROJECT = Path(__file__).resolve().parents[2]
CONSENT_VERSION = "v2"
# As a gateway with the default configuration tells the dialogue.
CONSENT_TERMS = ConsentTerms.of(quote_message=True, retention_seconds=90 * 86_400)
CONCURRENCY = 12
LEAVES_FORM = ("withdraw", "risk")


class Dialogue(Protocol):
    """The dialogue server's calls the audit makes: the gateway's own Rasa client
    provides them (`bot.cli.audit_dialogues`), so the audit speaks the protocol the
    gateway speaks and no second copy of it."""

    async def message(
        self, sender: str, text: str, metadata: dict[str, Any]
    ) -> list[dict[str, Any]]: ...

    async def trigger(
        self, sender: str, intent: str, entities: dict[str, str] | None
    ) -> list[dict[str, Any]]: ...

    async def start_session(self, sender: str, metadata: dict[str, Any]) -> None: ...

    async def active_loop(self, sender: str) -> str | None: ...


def load_corpus(project: Path) -> Corpus:
    corpus: Corpus = {}
    for language in nlu_sets.languages(project):
        texts = nlu_sets.training(project, language)
        for intent, more in nlu_sets.heldout(project, language).items():
            texts.setdefault(intent, []).extend(more)
        corpus[language] = texts
    return corpus


def names_by_text(project: Path) -> dict[str, str]:
    domain = load_domain(project / "dialogues")
    return {
        str(variation.get("text")): name
        for name, variations in domain.responses.items()
        for variation in variations
        if variation.get("text")
    }


class _Run:
    def __init__(self, client: Dialogue, validate: Validate, names: dict[str, str]) -> None:
        self.client = client
        self.validate = validate
        self.names = names
        self.report = DynamicReport()

    async def send(self, conv: Conversation, turn: Turn, consented: bool) -> list[dict[str, Any]]:
        metadata = {
            "language": turn.language or conv.language,
            "consented": consented,
            "consent_version": CONSENT_VERSION,
            "consent_terms": CONSENT_TERMS.to_metadata(),
        }
        if turn.kind == "trigger":
            return await self.client.trigger(conv.sender, turn.intent, turn.entities or None)
        if turn.kind == "session":
            await self.client.start_session(conv.sender, metadata)
            return []
        return await self.client.message(conv.sender, turn.text, metadata)

    async def conversation(self, conv: Conversation) -> None:
        consented, state = conv.consented, "start"
        for number, turn in enumerate(conv.turns):
            where = f"{conv.sender} turn {number} {turn.text or turn.intent}"
            if turn.probe in ("withdraw", "risk"):
                self.report.probes[turn.probe] += 1
                self.report.probe_states.setdefault(turn.probe, set()).add(state)
            reply = read_reply(
                await self.send(conv, turn, consented), consented, self.validate, self.names
            )
            self.report.turns += 1
            self.report.checkin_questions += len(reply.questions)
            self._judge(turn, reply, where)
            if turn.probe in LEAVES_FORM and await self.client.active_loop(conv.sender):
                self.report.violations.append(
                    Violation(_prop(turn), where, "a check-in is still running after the probe")
                )
            consented = reply.consented_after
            state = reply.last_said() or state

    def _judge(self, turn: Turn, reply: Reply, where: str) -> None:
        for question in reply.unconsented_questions:
            self.report.violations.append(
                Violation(Property.CONSENT, where, f"asked {question} without consent")
            )
        for problem in reply.contract_problems:
            self.report.violations.append(Violation(Property.CONTRACT, where, problem))
        self.report.violations.extend(probes.judge(turn, reply, where))


def _prop(turn: Turn) -> Property:
    return Property.WITHDRAW if turn.probe.startswith("withdraw") else Property.RISK


async def run_dynamic_audit(
    dialogue: Dialogue,
    conversations: int,
    seed: int,
    *,
    project: Path = PROJECT,
    concurrency: int = CONCURRENCY,
) -> DynamicReport:
    """Drive ``conversations`` randomised conversations; report what broke."""
    planner = Planner(load_corpus(project), seed)
    plans = [planner.conversation(n, f"audit-{seed}") for n in range(conversations)]
    gate = asyncio.Semaphore(concurrency)
    started = time.monotonic()
    run = _Run(dialogue, load_validator(project), names_by_text(project))

    async def one(conv: Conversation) -> None:
        async with gate:
            try:
                await run.conversation(conv)
                run.report.conversations += 1
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                # A conversation that cannot be run is reported by kind; the others go on.
                run.report.errors.append(f"{conv.sender}: {type(exc).__name__}")

    await asyncio.gather(*(one(conv) for conv in plans))
    run.report.seconds = time.monotonic() - started
    return run.report


__all__ = ["policy", "run_dynamic_audit"]
