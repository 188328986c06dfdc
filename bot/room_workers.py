"""One worker per room answers that room's turns in order, off the sync path.

Turns are already persisted when they reach a worker, so a failure here loses
nothing: the worker retries with backoff, and a restart picks the turn up from
the ledger again.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from bot import logs
from bot.state.turns import PendingTurn

RETRY_DELAYS = (1.0, 3.0, 10.0)


class RoomWorkers:
    def __init__(self, complete: Callable[[PendingTurn], Awaitable[None]]) -> None:
        self._complete = complete
        self._queues: dict[str, asyncio.Queue[PendingTurn]] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}

    def submit(self, turn: PendingTurn) -> None:
        queue = self._queues.get(turn.room_id)
        if queue is None:
            queue = self._queues[turn.room_id] = asyncio.Queue()
            self._tasks[turn.room_id] = asyncio.create_task(self._work(queue))
        queue.put_nowait(turn)

    async def _work(self, queue: asyncio.Queue[PendingTurn]) -> None:
        while True:
            turn = await queue.get()
            await self._complete_with_retries(turn)
            queue.task_done()

    async def _complete_with_retries(self, turn: PendingTurn) -> None:
        for attempt, delay in enumerate((0.0, *RETRY_DELAYS)):
            if delay:
                await asyncio.sleep(delay)
            try:
                await self._complete(turn)
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                logs.warning("turn_failed", attempt=attempt + 1, error=type(exc).__name__)
        logs.warning("turn_deferred_until_restart", participant=turn.owner)

    async def idle(self) -> None:
        """Wait until every queued turn has been worked on (used by tests and shutdown)."""
        await asyncio.gather(*(queue.join() for queue in self._queues.values()))

    async def stop(self) -> None:
        for task in self._tasks.values():
            task.cancel()
        for task in self._tasks.values():
            with contextlib.suppress(asyncio.CancelledError):
                await task
