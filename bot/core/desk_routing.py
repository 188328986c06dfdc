"""Where a page goes when someone's desk cannot carry it. Pure.

A desk with anyone unexpected in it is never used for content. The person it
belongs to is skipped, and the next people in the chain (on-call, then the
supervisors) get the page in their place, so one broken room never stops
paging.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Routing:
    # Whose desks get the notice, in order, without repeats.
    desks: tuple[str, ...]
    # People whose desk was skipped because it holds someone unexpected.
    skipped: tuple[str, ...]


def _after(person: str, on_call: tuple[str, ...], supervisors: tuple[str, ...]) -> list[str]:
    """Who stands in for ``person``: the rest of the chain after their step."""
    if person in supervisors:
        return [other for other in supervisors if other != person]
    if person in on_call:
        return [*(other for other in on_call if other != person), *supervisors]
    return [*on_call, *supervisors]


def route(
    people: Iterable[str],
    usable: Callable[[str], bool],
    on_call: tuple[str, ...],
    supervisors: tuple[str, ...],
) -> Routing:
    desks: list[str] = []
    skipped: list[str] = []
    for person in people:
        if usable(person):
            desks.append(person)
            continue
        skipped.append(person)
        stand_in = next(
            (other for other in _after(person, on_call, supervisors) if usable(other)), None
        )
        if stand_in is not None:
            desks.append(stand_in)
    return Routing(tuple(dict.fromkeys(desks)), tuple(dict.fromkeys(skipped)))
