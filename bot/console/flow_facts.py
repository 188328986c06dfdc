"""The countable facts behind the flow statistics, read from the vault.

Each record is reduced at once to what ``bot.console.flow_stats`` counts: when,
which step, which decision. Nothing leaves this module that says who, or what
anyone wrote: no pseudonym, no answer, no quote. A record that cannot be read
is skipped, as the other console pages skip one.
"""

from __future__ import annotations

from collections.abc import Iterator

from bot import logs
from bot.console.flow_stats import CheckinFact, ConsentFact, EscalationFact, FlowFacts
from bot.core.checkin_summary import CheckinRecord
from bot.escalation.store import all_escalations
from bot.state.checkin_answers import KEEP_CHECKINS, TALK_TO_MEDIATOR, CheckinAnswers
from safety.vault import Vault

# Vault kinds, as bot.state.checkin_answers and safety.consent write them.
_CHECKINS = "checkin_answers"
_CONSENT = "consent"


def _checkin_fact(record: CheckinRecord) -> CheckinFact:
    return CheckinFact(
        started_at=record.started_at,
        answered=frozenset(record.answers),
        finished=not record.is_open,
        completed=record.completed,
        asked_for_mediator=TALK_TO_MEDIATOR in record.requests,
    )


def _checkins(vault: Vault) -> Iterator[CheckinFact]:
    answers = CheckinAnswers(vault)
    for owner in vault.owners(_CHECKINS):
        try:
            current = answers.current(owner)
            records = ([current] if current is not None else []) + answers.recent(
                owner, KEEP_CHECKINS
            )
        except Exception as exc:
            logs.warning("console_stats_record_skipped", error=type(exc).__name__)
            continue
        yield from (_checkin_fact(record) for record in records)


def _consents(vault: Vault) -> Iterator[ConsentFact]:
    for _, value in vault.items(_CONSENT):
        try:
            yield ConsentFact(at=float(value["at"]), decision=str(value["decision"]))
        except (KeyError, TypeError, ValueError) as exc:
            logs.warning("console_stats_record_skipped", error=type(exc).__name__)


def read_facts(vault: Vault) -> FlowFacts:
    return FlowFacts(
        checkins=tuple(_checkins(vault)),
        consents=tuple(_consents(vault)),
        escalations=tuple(
            EscalationFact(
                created_at=esc.created_at,
                level=esc.level,
                changes=frozenset(change for _, change, _ in esc.history),
            )
            for esc in all_escalations(vault)
        ),
    )
