"""The room workers' count of pending turns, read by the metrics."""

from __future__ import annotations

import asyncio

from bot.ids import EventId, MatrixUserId, ParticipantId, RoomId
from bot.state.turns import PendingTurn
from bot.turns.workers import RoomWorkers


def turn(n: int) -> PendingTurn:
    return PendingTurn(
        owner=ParticipantId("p1"),
        event_id=EventId(f"$e{n}"),
        sender=MatrixUserId("@a:x"),
        room_id=RoomId("!r:x"),
        text="",
        timestamp_ms=n,
        language="sv",
        level="none",
    )


async def test_turns_pending_counts_turns_until_they_are_worked_through() -> None:
    release = asyncio.Event()
    done: list[str] = []

    async def complete(pending: PendingTurn) -> None:
        await release.wait()
        done.append(pending.event_id)

    async def other_job() -> None:
        done.append("job")

    workers = RoomWorkers(complete)
    workers.submit(turn(1))
    workers.submit(turn(2))
    workers.submit_job("!r:x", other_job)
    await asyncio.sleep(0)
    assert workers.turns_pending == 2
    release.set()
    await workers.idle()
    assert workers.turns_pending == 0
    assert done == ["$e1", "$e2", "job"]
    await workers.stop()
