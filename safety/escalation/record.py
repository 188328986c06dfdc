"""An escalation's life as an immutable record, and the transitions between states.

Every change appends to the history with its time. Notices to mediators go
through an outbox inside the record, so a notice decided before a crash is sent
after it, exactly once (its transaction id is derived from code and sequence).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from safety.escalation.policy import EscalationPolicy, next_roles

OPEN = "open"
ACKNOWLEDGED = "acknowledged"
RESOLVED = "resolved"
# Handoffs are requests, not risk; they are never folded together with risk.
RISK_RANK = {"high": 1, "imminent": 2}


@dataclass(frozen=True)
class Notice:
    seq: int
    kind: str  # "page", "reescalated", "further", "acknowledged", "resolved"
    roles: tuple[str, ...]
    quote: str | None = None  # a further message's own words ("further" only)


@dataclass(frozen=True)
class Escalation:
    code: str
    participant: str
    participant_code: str
    level: str
    signals: tuple[str, ...]
    created_at: float
    state: str = OPEN
    paged: tuple[str, ...] = ()
    deadline: float | None = None
    acknowledged_by: str | None = None
    quote: str | None = None
    history: tuple[tuple[float, str, str], ...] = ()
    outbox: tuple[Notice, ...] = ()
    sent: tuple[int, ...] = ()
    notice_events: tuple[str, ...] = field(default=())
    # Where each notice went, as (room id, event id): pages go to several desks.
    notice_places: tuple[tuple[str, str], ...] = ()
    # (notice seq, person) for each desk that has its copy: a desk that failed is
    # tried again alone, and one that has it never gets it twice.
    delivered: tuple[tuple[int, str], ...] = ()
    # (notice seq, person, transaction id) of the message a desk's copy last went
    # out in, written before it is sent. A copy that got through while the bot
    # never heard (killed, or timed out) is sent again in that same message, so
    # the homeserver recognises it and nobody sees the page twice.
    in_flight: tuple[tuple[int, str, str], ...] = ()
    # Later risky messages from the same person, folded into this escalation.
    further: int = 0
    last_further_at: float | None = None
    # The messages (Matrix event ids) that raised or fed it: a replayed message
    # raises nothing twice.
    events: tuple[str, ...] = ()

    @property
    def is_open(self) -> bool:
        return self.state == OPEN

    def unsent(self) -> tuple[Notice, ...]:
        return tuple(n for n in self.outbox if n.seq not in self.sent)

    def to_record(self) -> dict[str, Any]:
        from dataclasses import asdict

        return asdict(self)

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Escalation:
        return cls(
            **{
                **record,
                "signals": tuple(record["signals"]),
                "paged": tuple(record["paged"]),
                "history": tuple(tuple(item) for item in record["history"]),
                "outbox": tuple(
                    Notice(n["seq"], n["kind"], tuple(n["roles"]), n.get("quote"))
                    for n in record["outbox"]
                ),
                "sent": tuple(record["sent"]),
                "notice_events": tuple(record["notice_events"]),
                "notice_places": tuple(
                    (str(room), str(event)) for room, event in record.get("notice_places", ())
                ),
                "delivered": tuple(
                    (int(seq), str(person)) for seq, person in record.get("delivered", ())
                ),
                "in_flight": tuple(
                    (int(seq), str(person), str(txn))
                    for seq, person, txn in record.get("in_flight", ())
                ),
                "events": tuple(record.get("events", ())),
            }
        )


def _note(esc: Escalation, now: float, change: str, detail: str = "") -> Escalation:
    return replace(esc, history=(*esc.history, (now, change, detail)))


def _queue(
    esc: Escalation, kind: str, roles: tuple[str, ...], quote: str | None = None
) -> Escalation:
    return replace(esc, outbox=(*esc.outbox, Notice(len(esc.outbox), kind, roles, quote)))


def open_escalation(
    *,
    code: str,
    participant: str,
    participant_code: str,
    level: str,
    signals: tuple[str, ...],
    quote: str | None,
    now: float,
    policy: EscalationPolicy,
) -> Escalation:
    roles = policy.first_roles(level, now)
    esc = Escalation(
        code=code,
        participant=participant,
        participant_code=participant_code,
        level=level,
        signals=signals,
        created_at=now,
        paged=roles,
        deadline=policy.deadline(level, now),
        quote=quote,
    )
    return _queue(_note(esc, now, "created", level), "page", roles)


def notice_sent(
    esc: Escalation, seq: int, places: tuple[tuple[str, str], ...], now: float
) -> Escalation:
    """Notice ``seq`` went out, to each (room id, event id) in ``places``."""
    if seq in esc.sent:
        return esc
    esc = replace(
        esc,
        sent=(*esc.sent, seq),
        notice_events=(*esc.notice_events, *(event for _, event in places)),
        notice_places=(*esc.notice_places, *places),
    )
    return _note(esc, now, "sent", str(seq))


def delivered_to(esc: Escalation, seq: int, person: str, place: tuple[str, str]) -> Escalation:
    """One desk has its copy of notice ``seq`` (the notice is sent once all have)."""
    if (seq, person) in esc.delivered:
        return esc
    return replace(
        esc,
        delivered=(*esc.delivered, (seq, person)),
        notice_events=(*esc.notice_events, place[1]),
        notice_places=(*esc.notice_places, place),
    )


def has_copy(esc: Escalation, seq: int, person: str) -> bool:
    return (seq, person) in esc.delivered


def sending(esc: Escalation, seq: int, person: str, txn: str) -> Escalation:
    """Notice ``seq`` is about to go to ``person``'s desk in the message ``txn``."""
    if (seq, person, txn) in esc.in_flight:
        return esc
    kept = tuple(item for item in esc.in_flight if item[:2] != (seq, person))
    return replace(esc, in_flight=(*kept, (seq, person, txn)))


def sent_in(esc: Escalation, seq: int, person: str) -> str | None:
    """The message notice ``seq`` last went to ``person``'s desk in, if any."""
    return next((txn for s, p, txn in esc.in_flight if (s, p) == (seq, person)), None)


def acknowledge(esc: Escalation, by: str, now: float) -> Escalation:
    if not esc.is_open:
        return esc
    esc = replace(esc, state=ACKNOWLEDGED, acknowledged_by=by, deadline=None)
    return _queue(_note(esc, now, "acknowledged", by), "acknowledged", ())


def resolve(esc: Escalation, by: str, now: float) -> Escalation:
    if esc.state == RESOLVED:
        return esc
    esc = replace(esc, state=RESOLVED, acknowledged_by=esc.acknowledged_by or by, deadline=None)
    return _queue(_note(esc, now, "resolved", by), "resolved", ())


def is_due(esc: Escalation, now: float) -> bool:
    return esc.is_open and esc.deadline is not None and now >= esc.deadline


def reescalate(esc: Escalation, now: float, policy: EscalationPolicy) -> Escalation:
    """A missed deadline: page the next step of the chain, with a fresh deadline."""
    if not is_due(esc, now):
        return esc
    roles = next_roles(esc.paged)
    esc = replace(
        esc,
        paged=tuple(dict.fromkeys((*esc.paged, *roles))),
        deadline=policy.deadline(esc.level, now),
    )
    return _queue(_note(esc, now, "reescalated", ",".join(roles)), "reescalated", roles)


def absorbs(esc: Escalation, level: str, now: float, window_seconds: float) -> bool:
    """Whether a new risky message at ``level`` belongs to ``esc`` rather than to an
    escalation of its own: the same person's case, still not resolved, recent, and
    at least as serious. A more serious message opens its own, with its own chain."""
    if esc.state == RESOLVED or esc.level not in RISK_RANK or level not in RISK_RANK:
        return False
    return RISK_RANK[level] <= RISK_RANK[esc.level] and now - esc.created_at < window_seconds


def further_message(
    esc: Escalation,
    quote: str | None,
    now: float,
    min_gap_seconds: float,
    event_id: str | None = None,
) -> Escalation:
    """Fold one more risky message into ``esc``. The people already paged hear of it,
    at most once per ``min_gap_seconds``; a flood is counted, not paged message by
    message, so one person cannot bury the staff room."""
    events = esc.events if event_id is None else (*esc.events, event_id)
    esc = _note(replace(esc, further=esc.further + 1, events=events), now, "further", "")
    if esc.last_further_at is not None and now - esc.last_further_at < min_gap_seconds:
        return esc
    esc = replace(esc, last_further_at=now)
    return _queue(esc, "further", esc.paged, quote)


def close_on_deletion(esc: Escalation, now: float) -> Escalation:
    """The participant's data is being deleted: the case ends, and staff are told why
    (their pages and quotes go with the data)."""
    if esc.state == RESOLVED:
        return esc
    # Notices not yet sent would carry the participant's words into desks just
    # before their data goes: they are dropped, and only the closing is sent.
    dropped = tuple(n.seq for n in esc.unsent())
    esc = replace(esc, state=RESOLVED, deadline=None, sent=(*esc.sent, *dropped))
    return _queue(_note(esc, now, "closed_on_deletion", ""), "deleted", ())
