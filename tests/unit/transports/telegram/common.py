"""What the Telegram tests share: a movable clock and a log recorder."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from bot import logs
from bot.logs import JsonFormatter

TOKEN = "987654321:AAFakeTokenForTestsOnly_0123456789abc"
BOT_ID = 987654321
PSEUDONYM = "pabcdefghijklmnopqrstuvwxyz"


@dataclass
class FakeClock:
    """Time that passes only when something sleeps, or the test says so."""

    now: float = 1_800_000_000.0
    slept: list[float] = field(default_factory=list)

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class LogRecorder(logging.Handler):
    """Every structured event, as the observer sees it and as JSON lines render it."""

    events: list[tuple[str, str, dict[str, object]]] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        logging.Handler.__init__(self)
        self.setFormatter(JsonFormatter())

    def __hash__(self) -> int:
        return id(self)

    def observe(self, level: str, kind: str, fields: dict[str, logs.Field]) -> None:
        self.events.append((level, kind, dict(fields)))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))

    def kinds(self) -> list[str]:
        return [kind for _level, kind, _fields in self.events]

    def of(self, kind: str) -> list[dict[str, object]]:
        return [fields for _level, k, fields in self.events if k == kind]

    @property
    def text(self) -> str:
        return "\n".join(self.lines)
