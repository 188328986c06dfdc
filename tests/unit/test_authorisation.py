from __future__ import annotations

import itertools

import pytest

from bot.core.authorisation import (
    NOTHING_FOUND,
    Allowed,
    Decision,
    Denied,
    Ownership,
    Refusal,
    Role,
    acknowledgeable,
    decide,
)
from bot.core.commands import COMMANDS, Verb

M, C, S = Role.MEDIATOR, Role.ON_CALL, Role.SUPERVISOR
ROLE_SETS: dict[str, frozenset[Role]] = {
    "mediator": frozenset({M}),
    "on_call": frozenset({C}),
    "supervisor": frozenset({S}),
    "none": frozenset(),
    "mediator+on_call": frozenset({M, C}),
    "on_call+supervisor": frozenset({C, S}),
}

# Written out by hand from the rules, not computed:
#   ok    allowed, with or without a reason
#   why   allowed only with a reason (which is then to be recorded); refused without
#   no    "Nothing found that you may act on under that code."
#   role  the verb is not for these roles
EXPECTED_TABLE = """
verb      target   mediator on_call supervisor none mediator+on_call on_call+supervisor
help      none     ok       ok      ok         no   ok               ok
digest    none     ok       ok      ok         no   ok               ok
list      none     ok       ok      ok         no   ok               ok
trust     none     ok       ok      ok         no   ok               ok
enroll    none     ok       role    ok         no   ok               ok
ack       own      ok       ok      ok         no   ok               ok
ack       routed   ok       ok      ok         no   ok               ok
ack       other    no       no      ok         no   no               ok
ack       unknown  no       no      no         no   no               no
resolve   own      ok       ok      ok         no   ok               ok
resolve   routed   ok       ok      ok         no   ok               ok
resolve   other    no       no      ok         no   no               ok
resolve   unknown  no       no      no         no   no               no
status    own      ok       no      ok         no   ok               ok
status    routed   no       ok      ok         no   ok               ok
status    other    no       no      ok         no   no               ok
status    unknown  no       no      no         no   no               no
answers   own      ok       no      ok         no   ok               ok
answers   routed   no       ok      why        no   ok               ok
answers   other    no       no      why        no   no               why
answers   unknown  no       no      no         no   no               no
take      own      ok       no      ok         no   ok               ok
take      routed   no       ok      why        no   ok               ok
take      other    no       no      why        no   no               why
take      unknown  no       no      no         no   no               no
release   own      ok       no      ok         no   ok               ok
release   routed   no       ok      ok         no   ok               ok
release   other    no       no      ok         no   no               ok
release   unknown  no       no      no         no   no               no
say       own      ok       no      ok         no   ok               ok
say       routed   no       ok      ok         no   ok               ok
say       other    no       no      ok         no   no               ok
say       unknown  no       no      no         no   no               no
note      own      ok       no      ok         no   ok               ok
note      routed   no       ok      ok         no   ok               ok
note      other    no       no      ok         no   no               ok
note      unknown  no       no      no         no   no               no
checkin   own      ok       no      ok         no   ok               ok
checkin   routed   no       ok      ok         no   ok               ok
checkin   other    no       no      ok         no   no               ok
checkin   unknown  no       no      no         no   no               no
schedule  own      ok       role    ok         no   ok               ok
schedule  routed   no       role    ok         no   no               ok
schedule  other    no       role    ok         no   no               ok
schedule  unknown  no       role    no         no   no               no
pause     own      ok       role    ok         no   ok               ok
pause     routed   no       role    ok         no   no               ok
pause     other    no       role    ok         no   no               ok
pause     unknown  no       role    no         no   no               no
resume    own      ok       role    ok         no   ok               ok
resume    routed   no       role    ok         no   no               ok
resume    other    no       role    ok         no   no               ok
resume    unknown  no       role    no         no   no               no
unenroll  own      ok       role    ok         no   ok               ok
unenroll  routed   no       role    ok         no   no               ok
unenroll  other    no       role    ok         no   no               ok
unenroll  unknown  no       role    no         no   no               no
assign    own      role     role    ok         no   role             ok
assign    routed   role     role    ok         no   role             ok
assign    other    role     role    ok         no   role             ok
assign    unknown  role     role    no         no   role             no
"""


def _expected_cases() -> list[tuple[str, str, str, bool, str]]:
    header, *rows = EXPECTED_TABLE.strip().splitlines()
    role_names = header.split()[2:]
    cases = []
    for row in rows:
        verb, target, *cells = row.split()
        assert len(cells) == len(role_names), row
        for role_name, cell in zip(role_names, cells, strict=True):
            for has_reason in (False, True):
                cases.append((verb, role_name, target, has_reason, cell))
    return cases


CASES = _expected_cases()


def _matches(decision: Decision, cell: str, has_reason: bool) -> bool:
    if cell == "ok":
        return decision == Allowed(needs_reason=False)
    if cell == "why":
        if has_reason:
            return decision == Allowed(needs_reason=True)
        return isinstance(decision, Denied) and decision.refusal is Refusal.NEEDS_REASON
    if cell == "no":
        return decision == Denied(Refusal.NOTHING_FOUND, NOTHING_FOUND)
    assert cell == "role"
    return isinstance(decision, Denied) and decision.refusal is Refusal.NOT_FOR_ROLE


@pytest.mark.parametrize(("verb", "roles", "target", "has_reason", "cell"), CASES)
def test_authorisation_matrix(
    verb: Verb, roles: str, target: str, has_reason: bool, cell: str
) -> None:
    decision = decide(verb, ROLE_SETS[roles], Ownership(target), has_reason)
    assert _matches(decision, cell, has_reason), decision


def test_the_table_covers_every_verb_role_set_and_relevant_target() -> None:
    covered = {(verb, roles, target, reason) for verb, roles, target, reason, _ in CASES}
    assert len(covered) == len(CASES)
    participant_targets = ("own", "routed", "other", "unknown")
    wanted = set()
    for spec in COMMANDS:
        # Commands with a P- or E- code act on a participant; the others have no target.
        on_participant = any(arg.code_prefix in ("P", "E") for arg in spec.args)
        targets = participant_targets if on_participant else ("none",)
        for roles, target, reason in itertools.product(ROLE_SETS, targets, (False, True)):
            wanted.add((spec.verb, roles, target, reason))
    assert covered == wanted


PARTICIPANT_VERBS = [
    spec.verb for spec in COMMANDS if any(arg.code_prefix in ("P", "E") for arg in spec.args)
]


@pytest.mark.parametrize("verb", PARTICIPANT_VERBS)
@pytest.mark.parametrize("roles", ["mediator", "on_call", "none", "mediator+on_call"])
def test_a_code_that_does_not_exist_and_one_that_is_not_yours_are_refused_alike(
    verb: Verb, roles: str
) -> None:
    for has_reason in (False, True):
        missing = decide(verb, ROLE_SETS[roles], Ownership.UNKNOWN, has_reason)
        not_yours = decide(verb, ROLE_SETS[roles], Ownership.OTHER, has_reason)
        assert isinstance(missing, Denied)
        assert missing == not_yours


def test_the_refusal_names_neither_the_verb_nor_the_code() -> None:
    messages = {
        decision.message
        for verb, roles, target in itertools.product(
            PARTICIPANT_VERBS, ROLE_SETS.values(), (Ownership.OTHER, Ownership.UNKNOWN)
        )
        if isinstance(decision := decide(verb, roles, target, False), Denied)
        and decision.refusal is Refusal.NOTHING_FOUND
    }
    assert messages == {NOTHING_FOUND}
    assert "!" not in NOTHING_FOUND and "-" not in NOTHING_FOUND


def test_someone_without_a_role_gets_the_same_refusal_for_everything() -> None:
    decisions = {
        decide(spec.verb, frozenset(), ownership, has_reason)
        for spec in COMMANDS
        for ownership in Ownership
        for has_reason in (False, True)
    }
    assert decisions == {Denied(Refusal.NOTHING_FOUND, NOTHING_FOUND)}


def test_a_role_refusal_names_who_may() -> None:
    assign = decide("assign", frozenset({M}), Ownership.OWN, False)
    assert isinstance(assign, Denied)
    assert assign.message == "!assign is for supervisors."
    enroll = decide("enroll", frozenset({C}), Ownership.NONE, False)
    assert isinstance(enroll, Denied)
    assert enroll.message == "!enroll is for mediators and supervisors."


def test_a_supervisor_is_told_to_give_a_reason() -> None:
    refused = decide("answers", frozenset({S}), Ownership.OTHER, has_reason=False)
    assert isinstance(refused, Denied)
    assert "reason" in refused.message


def test_a_participant_command_without_a_target_is_refused() -> None:
    for roles in ROLE_SETS.values():
        assert isinstance(decide("status", roles, Ownership.NONE, True), Denied)


def test_a_reaction_acknowledges_only_the_pages_the_reactor_may() -> None:
    pages = {
        "E-AAAAAA": Ownership.OTHER,
        "E-BBBBBB": Ownership.OWN,
        "E-CCCCCC": Ownership.UNKNOWN,
        "E-DDDDDD": Ownership.ROUTED,
    }
    assert acknowledgeable(frozenset({M}), pages) == ("E-BBBBBB", "E-DDDDDD")
    assert acknowledgeable(frozenset({C}), pages) == ("E-BBBBBB", "E-DDDDDD")
    assert acknowledgeable(frozenset({S}), pages) == ("E-AAAAAA", "E-BBBBBB", "E-DDDDDD")
    assert acknowledgeable(frozenset(), pages) == ()
    assert acknowledgeable(frozenset({S}), {}) == ()
