"""Who may run which staff command on whom: the authorisation matrix, pure.

The caller looks up the actor's roles and how the target relates to them; this
module only decides. A refusal that depends on the target always reads the same,
so that it never tells whether a code exists or whose it is.
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from dataclasses import dataclass, replace
from enum import Enum

from bot.core.commands import Verb


class Role(Enum):
    MEDIATOR = "mediator"
    ON_CALL = "on_call"
    SUPERVISOR = "supervisor"


class Ownership(Enum):
    """How the command's target relates to the actor; OWN wins over ROUTED."""

    OWN = "own"  # the actor is the participant's assigned mediator
    ROUTED = "routed"  # an unresolved page about the participant was routed to the actor
    OTHER = "other"  # the target exists and is neither
    UNKNOWN = "unknown"  # no participant or page under that code
    NONE = "none"  # the command has no participant target


class Refusal(Enum):
    NOTHING_FOUND = "nothing_found"
    NOT_FOR_ROLE = "not_for_role"
    NEEDS_REASON = "needs_reason"


NOTHING_FOUND = "Nothing found that you may act on under that code."


@dataclass(frozen=True)
class Allowed:
    # True when the access was granted only because a reason was given: record it.
    needs_reason: bool = False


@dataclass(frozen=True)
class Denied:
    refusal: Refusal
    message: str


Decision = Allowed | Denied

_ANY_STAFF = frozenset(Role)
_MEDIATORS_AND_SUPERVISORS = frozenset({Role.MEDIATOR, Role.SUPERVISOR})
_SUPERVISORS = frozenset({Role.SUPERVISOR})


@dataclass(frozen=True)
class _Rule:
    may_use: frozenset[Role]
    on_participant: bool = True
    # Who may act through their relation to the participant alone. Supervisors
    # act on anyone, but name a reason to read someone else's participant.
    own_for: frozenset[Role] = frozenset()
    routed_for: frozenset[Role] = frozenset()
    # Reading what a participant wrote: a supervisor who is not theirs says why.
    content: bool = False


# Answering a page: whoever holds it may read, act and write down what they did.
_PAGE_WORK = _Rule(
    _ANY_STAFF,
    own_for=_MEDIATORS_AND_SUPERVISORS,
    routed_for=frozenset({Role.ON_CALL, Role.SUPERVISOR}),
)
# Reading what they wrote: a supervisor who is not theirs gives a reason even when a
# re-escalation reached them (the consent text promises it); on-call, paged to
# answer the page, does not.
_READING = replace(_PAGE_WORK, content=True, routed_for=frozenset({Role.ON_CALL}))
# The programme itself (schedule, pause, enrolment) stays with the participant's
# mediator and supervisors; on-call answers pages, it does not run the programme.
_PROGRAMME = _Rule(_MEDIATORS_AND_SUPERVISORS, own_for=_MEDIATORS_AND_SUPERVISORS)

_RULES: dict[Verb, _Rule] = {
    "help": _Rule(_ANY_STAFF, on_participant=False),
    "digest": _Rule(_ANY_STAFF, on_participant=False),
    "list": _Rule(_ANY_STAFF, on_participant=False),
    # Which device may be trusted is decided by the device-trust layer.
    "trust": _Rule(_ANY_STAFF, on_participant=False),
    "enroll": _Rule(_MEDIATORS_AND_SUPERVISORS, on_participant=False),
    # Whoever was paged, or is the participant's mediator, closes the page, whatever
    # their role is today.
    "ack": _Rule(_ANY_STAFF, own_for=_ANY_STAFF, routed_for=_ANY_STAFF),
    "resolve": _Rule(_ANY_STAFF, own_for=_ANY_STAFF, routed_for=_ANY_STAFF),
    "status": _PAGE_WORK,
    "answers": _READING,
    # Taking over shows the live conversation, so it counts as reading.
    "take": _READING,
    "release": _PAGE_WORK,
    # Relaying is part of the take-over; the handoff itself checks who holds it.
    "say": _PAGE_WORK,
    "note": _PAGE_WORK,
    "checkin": _PAGE_WORK,
    "schedule": _PROGRAMME,
    "pause": _PROGRAMME,
    "resume": _PROGRAMME,
    "unenroll": _PROGRAMME,
    "assign": _Rule(_SUPERVISORS),
}

_PLURALS = {
    Role.MEDIATOR: "mediators",
    Role.ON_CALL: "on-call mediators",
    Role.SUPERVISOR: "supervisors",
}


def decide(verb: Verb, roles: Set[Role], ownership: Ownership, has_reason: bool) -> Decision:
    """Whether someone with these roles may run the verb on a target related to them so."""
    rule = _RULES[verb]
    if not roles:
        return _nothing_found()
    if not roles & rule.may_use:
        # Said whatever the code: it depends on the verb and the roles alone.
        who = " and ".join(_PLURALS[role] for role in Role if role in rule.may_use)
        return Denied(Refusal.NOT_FOR_ROLE, f"!{verb} is for {who}.")
    if not rule.on_participant:
        return Allowed()
    if ownership is Ownership.OWN and roles & rule.own_for:
        return Allowed()
    if ownership is Ownership.ROUTED and roles & rule.routed_for:
        return Allowed()
    if Role.SUPERVISOR not in roles or ownership in (Ownership.UNKNOWN, Ownership.NONE):
        return _nothing_found()
    # From here the access rests on being a supervisor alone.
    if rule.content:
        if not has_reason:
            return Denied(
                Refusal.NEEDS_REASON,
                f"!{verb} on a participant who is not yours needs a reason: "
                "write it after the code (and after the number for !answers).",
            )
        return Allowed(needs_reason=True)
    return Allowed()


def acknowledgeable(roles: Set[Role], pages: Mapping[str, Ownership]) -> tuple[str, ...]:
    """Of the pages a ✅ would acknowledge (code → their relation to the reactor),
    those the reactor may acknowledge, in the message's order."""
    return tuple(
        code
        for code, ownership in pages.items()
        if isinstance(decide("ack", roles, ownership, has_reason=False), Allowed)
    )


def _nothing_found() -> Denied:
    return Denied(Refusal.NOTHING_FOUND, NOTHING_FOUND)
