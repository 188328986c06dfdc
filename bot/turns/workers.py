"""One worker per room answers that room's turns in order, off the sync path.

Turns are already persisted when they reach a worker, so a failure here loses
nothing: the worker retries with backoff, and a restart picks the turn up from
the ledger again. Scheduled check-ins queue behind the room's turns, so a
check-in never interleaves with an answer.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from functools import partial

from bot import logs
from bot.state.turns import PendingTurn

RETRY_DELAYS = (1.0, 3.0, 10.0)
Job = Callable[[], Awaitable[None]]


class _TurnJob:
    """A participant's turn, told apart from other room jobs for the pending count."""

    def __init__(self, job: Job) -> None:
        self._job = job

    def __call__(self) -> Awaitable[None]:
        return self._job()


class RoomWorkers:
    def __init__(self, complete: Callable[[PendingTurn], Awaitable[None]]) -> None:
        self._complete = complete
        self._queues: dict[str, asyncio.Queue[Job]] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self.turns_pending = 0  # turns submitted and not yet worked through

    def submit(self, turn: PendingTurn) -> None:
        self.turns_pending += 1
        self.submit_job(turn.room_id, _TurnJob(partial(self._complete, turn)))

    def submit_job(self, room_id: str, job: Job) -> None:
        queue = self._queues.get(room_id)
        if queue is None:
            queue = self._queues[room_id] = asyncio.Queue()
            self._tasks[room_id] = asyncio.create_task(self._work(queue))
        queue.put_nowait(job)

    def backlog(self, room_id: str) -> int:
        """Jobs waiting in a room's queue, not counting the one being worked on."""
        queue = self._queues.get(room_id)
        return 0 if queue is None else queue.qsize()

    async def _work(self, queue: asyncio.Queue[Job]) -> None:
        while True:
            job = await queue.get()
            await self._run_with_retries(job)
            queue.task_done()

    async def _run_with_retries(self, job: Job) -> None:
        try:
            await self._attempts(job)
        finally:
            if isinstance(job, _TurnJob):
                self.turns_pending -= 1

    async def _attempts(self, job: Job) -> None:
        for attempt, delay in enumerate((0.0, *RETRY_DELAYS)):
            if delay:
                await asyncio.sleep(delay)
            try:
                await job()
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                logs.warning("turn_failed", attempt=attempt + 1, error=type(exc).__name__)
        logs.warning("room_job_deferred_until_restart")

    async def idle(self) -> None:
        """Wait until every queued turn has been worked on (used by tests and shutdown)."""
        await asyncio.gather(*(queue.join() for queue in self._queues.values()))

    async def stop(self) -> None:
        for task in self._tasks.values():
            task.cancel()
        for task in self._tasks.values():
            with contextlib.suppress(asyncio.CancelledError):
                await task
