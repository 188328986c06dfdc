"""The launcher restarts a dead child with backoff and gives up on one that
keeps dying."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest

from bot.launcher.supervisor import GaveUp, RestartPolicy, supervise


def test_backoff_doubles_and_then_gives_up() -> None:
    policy = RestartPolicy(max_restarts=4, window_seconds=600, first_delay_seconds=1)
    delays = [policy.delay_before_restart("gateway", now) for now in (0, 5, 10, 15, 20)]
    assert delays == [1, 2, 4, 8, None]


def test_restarts_long_ago_are_forgotten() -> None:
    policy = RestartPolicy(max_restarts=2, window_seconds=60)
    assert policy.delay_before_restart("rasa", 0) is not None
    assert policy.delay_before_restart("rasa", 10) is not None
    assert policy.delay_before_restart("rasa", 20) is None
    assert policy.delay_before_restart("rasa", 200) == 1  # an old crash no longer counts


def test_children_are_counted_apart() -> None:
    policy = RestartPolicy(max_restarts=1)
    assert policy.delay_before_restart("rasa", 0) == 1
    assert policy.delay_before_restart("gateway", 0) == 1
    assert policy.delay_before_restart("rasa", 1) is None


def test_the_delay_is_capped() -> None:
    policy = RestartPolicy(max_restarts=20, first_delay_seconds=1, max_delay_seconds=30)
    delays = [policy.delay_before_restart("x", float(n)) for n in range(8)]
    assert max(d for d in delays if d is not None) == 30


@dataclass
class FakeChild:
    running: bool = True


async def test_a_dead_child_is_restarted_and_one_that_keeps_dying_stops_all() -> None:
    gateway = FakeChild()
    restarts: list[str] = []
    lines: list[str] = []

    async def restart(name: str) -> None:
        restarts.append(name)  # it starts, and dies again before the next check

    gateway.running = False
    policy = RestartPolicy(max_restarts=2, first_delay_seconds=0.01)
    with pytest.raises(GaveUp) as gave_up:
        await asyncio.wait_for(
            supervise(
                lambda: {"gateway": gateway}, restart, lines.append, policy, check_seconds=0.01
            ),
            timeout=5,
        )
    assert gave_up.value.name == "gateway"
    assert restarts == ["gateway", "gateway"]
    assert lines[0] == "gateway stopped unexpectedly; restarting it in 0.01 s"
    assert lines[-1] == "gateway keeps stopping; stopping everything"


async def test_a_restart_that_fails_is_reported_and_tried_again() -> None:
    rasa = FakeChild(running=False)
    lines: list[str] = []
    attempts = 0

    async def restart(_: str) -> None:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            raise OSError("port in use")
        rasa.running = True

    policy = RestartPolicy(max_restarts=5, first_delay_seconds=0.01)
    task = asyncio.create_task(
        supervise(lambda: {"rasa": rasa}, restart, lines.append, policy, check_seconds=0.01)
    )
    for _ in range(200):
        if rasa.running:
            break
        await asyncio.sleep(0.01)
    task.cancel()
    assert rasa.running and attempts == 2
    assert "rasa did not restart (OSError)" in lines
