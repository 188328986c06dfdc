"""A desk with a stranger in it is routed around; the chain stands in."""

from __future__ import annotations

from bot.core.desk_routing import route

MEDIATOR = "@m:x"
ON_CALL = ("@jour:x", "@jour2:x")
SUPERVISORS = ("@sup:x", "@sup2:x")


def usable_except(*broken: str):  # type: ignore[no-untyped-def]
    return lambda person: person not in broken


def test_clean_desks_get_their_own_pages() -> None:
    routing = route((MEDIATOR, ON_CALL[0]), usable_except(), ON_CALL, SUPERVISORS)
    assert routing.desks == (MEDIATOR, ON_CALL[0])
    assert routing.skipped == ()


def test_a_mediators_broken_desk_passes_the_page_to_on_call() -> None:
    routing = route((MEDIATOR,), usable_except(MEDIATOR), ON_CALL, SUPERVISORS)
    assert routing.desks == (ON_CALL[0],)
    assert routing.skipped == (MEDIATOR,)


def test_on_call_stands_in_for_on_call_then_supervisors() -> None:
    assert route((ON_CALL[0],), usable_except(ON_CALL[0]), ON_CALL, SUPERVISORS).desks == (
        ON_CALL[1],
    )
    both_broken = usable_except(*ON_CALL)
    assert route((ON_CALL[0],), both_broken, ON_CALL, SUPERVISORS).desks == (SUPERVISORS[0],)


def test_a_supervisor_stands_in_for_a_supervisor_only() -> None:
    routing = route((SUPERVISORS[0],), usable_except(SUPERVISORS[0]), ON_CALL, SUPERVISORS)
    assert routing.desks == (SUPERVISORS[1],)


def test_nobody_left_means_no_desk_but_the_skip_is_known() -> None:
    everyone = (MEDIATOR, *ON_CALL, *SUPERVISORS)
    routing = route((MEDIATOR,), usable_except(*everyone), ON_CALL, SUPERVISORS)
    assert routing.desks == ()
    assert routing.skipped == (MEDIATOR,)


def test_a_stand_in_already_paged_is_not_paged_twice() -> None:
    routing = route((MEDIATOR, ON_CALL[0]), usable_except(MEDIATOR), ON_CALL, SUPERVISORS)
    assert routing.desks == (ON_CALL[0],)
