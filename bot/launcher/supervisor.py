"""Keep the stack's children alive: restart a dead one, give up on one that
keeps dying.

A gateway that died and stayed dead would leave participants unanswered and
risk unscreened while ``make run`` looked healthy. The policy is pure (times
in, decision out); the loop around it does the I/O.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

CHECK_SECONDS = 1.0


class Child(Protocol):
    @property
    def running(self) -> bool: ...


@dataclass
class RestartPolicy:
    """Exponential backoff per child; too many restarts in a window means the
    child cannot run here, and restarting it again would only hide that."""

    max_restarts: int = 5
    window_seconds: float = 600.0
    first_delay_seconds: float = 1.0
    max_delay_seconds: float = 30.0
    _restarts: dict[str, list[float]] = field(default_factory=dict)

    def delay_before_restart(self, name: str, now: float) -> float | None:
        """Seconds to wait before restarting ``name``, or None to give up."""
        recent = [t for t in self._restarts.get(name, []) if now - t < self.window_seconds]
        if len(recent) >= self.max_restarts:
            self._restarts[name] = recent
            return None
        recent.append(now)
        self._restarts[name] = recent
        backoff: float = self.first_delay_seconds * 2.0 ** (len(recent) - 1)
        return min(self.max_delay_seconds, backoff)


class GaveUp(Exception):
    """A child kept dying; the stack must stop."""

    def __init__(self, name: str) -> None:
        super().__init__(f"{name} keeps stopping")
        self.name = name


async def supervise(
    children: Callable[[], Mapping[str, Child]],
    restart: Callable[[str], Awaitable[None]],
    report: Callable[[str], None],
    policy: RestartPolicy | None = None,
    *,
    check_seconds: float = CHECK_SECONDS,
) -> None:
    """Watch ``children`` until cancelled; raise ``GaveUp`` when one keeps dying."""
    policy = policy or RestartPolicy()
    while True:
        await asyncio.sleep(check_seconds)
        for name, child in children().items():
            if child.running:
                continue
            delay = policy.delay_before_restart(name, time.monotonic())
            if delay is None:
                report(f"{name} keeps stopping; stopping everything")
                raise GaveUp(name)
            report(f"{name} stopped unexpectedly; restarting it in {delay:g} s")
            await asyncio.sleep(delay)
            try:
                await restart(name)
            except Exception as exc:  # a failed restart counts as the next death
                report(f"{name} did not restart ({type(exc).__name__})")
            else:
                report(f"{name} is running again")
