"""The gateway's metrics, counted from its own structured log events.

Every count here follows an event the gateway already logs (bot.logs), so the
metrics and the log cannot disagree. Risk levels are the exception: the log must
not tie them to anyone, so they come from tallies (``logs.tally``) that reach
the counters and no file. Fields that name someone (``participant``, ``code``)
are never read.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from bot.logs import TALLY, Field
from bot.monitoring.registry import Counter, Histogram, Registry

PREFIX = "samtal_"
RISK_LEVELS = ("none", "elevated", "high", "imminent")
ESCALATION_LEVELS = ("elevated", "high", "imminent", "handoff")
NOTICE_KINDS = ("page", "reescalated", "further", "acknowledged", "resolved")
CHANGES = ("acknowledged", "resolved")
LEVELS = ("info", "warning")
# Event kinds are fixed strings in the code; anything else is not counted by name.
_EVENT_KIND = re.compile(r"^[a-z][a-z0-9_]{0,63}$")

SCREEN_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
TURN_BUCKETS = (0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0)
PAGE_BUCKETS = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0)


@dataclass(frozen=True)
class Sources:
    """Gauges read from the gateway's state at each scrape (cheap, in memory)."""

    started_at: float
    last_sync_age: Callable[[], float | None]
    rooms: Callable[[], float | None]
    turns_pending: Callable[[], float | None]
    escalations_open: Callable[[], float | None]
    rasa_up: Callable[[], float | None]


def _seconds(fields: Mapping[str, Field], key: str, scale: float = 1000.0) -> float | None:
    value = fields.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) / scale


def _label(fields: Mapping[str, Field], key: str) -> str:
    value = fields.get(key)
    return value if isinstance(value, str) else ""


class GatewayMetrics:
    def __init__(self, sources: Sources) -> None:
        r = self.registry = Registry()
        p = PREFIX
        r.gauge(
            f"{p}gateway_start_time_seconds",
            "When this gateway process started (Unix time).",
            lambda: sources.started_at,
        )
        self.downtime = r.gauge(
            f"{p}gateway_downtime_before_start_seconds",
            "How long the gateway was down before this process started (absent on a first start).",
        )
        self.late = r.gauge(
            f"{p}gateway_late_messages",
            "Participants' messages sent while the gateway was down, handled after it came back.",
        )
        r.gauge(
            f"{p}last_sync_age_seconds",
            "Seconds since the last successful sync with the homeserver.",
            sources.last_sync_age,
        )
        r.gauge(
            f"{p}rasa_up",
            "1 if the dialogue server answered the gateway's last call or check, else 0.",
            sources.rasa_up,
        )
        r.gauge(f"{p}rooms", "Rooms the bot is in.", sources.rooms)
        r.gauge(
            f"{p}turns_pending",
            "Participants' turns queued or being answered.",
            sources.turns_pending,
        )
        r.gauge(
            f"{p}escalations_open",
            "Escalations not yet acknowledged or resolved.",
            sources.escalations_open,
        )
        self.screened = r.counter(
            f"{p}messages_screened_total",
            "Participants' messages screened, by risk level.",
            {"risk": RISK_LEVELS},
        )
        self.screen_seconds = r.histogram(
            f"{p}screen_seconds", "Time to screen one message.", SCREEN_BUCKETS
        )
        self.escalations = r.counter(
            f"{p}escalations_created_total",
            "Escalations opened, by level.",
            {"level": ESCALATION_LEVELS},
        )
        self.pages = r.counter(
            f"{p}pages_sent_total",
            "Notices sent to staff about escalations, by kind.",
            {"notice": NOTICE_KINDS},
        )
        self.page_seconds = r.histogram(
            f"{p}page_delay_seconds",
            "Time from an escalation opening to its first page being sent.",
            PAGE_BUCKETS,
        )
        self.reescalations = r.counter(
            f"{p}reescalations_total",
            "Escalations sent up the chain because nobody acknowledged them in time.",
        )
        self.changes = r.counter(
            f"{p}escalation_changes_total",
            "Escalations acknowledged or resolved by staff.",
            {"change": CHANGES},
        )
        self.answered = r.counter(f"{p}turns_answered_total", "Participants' turns answered.")
        self.turn_seconds = r.histogram(
            f"{p}turn_seconds",
            "Time to answer one turn (dialogue, effects and replies).",
            TURN_BUCKETS,
        )
        self.overflow = r.counter(
            f"{p}turns_overflow_total",
            "Turns beyond a participant's backlog limit, kept but not sent to the dialogue.",
        )
        self.dialogue_down = r.counter(
            f"{p}dialogue_unavailable_total",
            "Turns answered with the fallback because the dialogue server failed.",
        )
        self.undecryptable = r.counter(
            f"{p}messages_undecryptable_total", "Messages that could not be decrypted on arrival."
        )
        self.lost = r.counter(
            f"{p}messages_undecryptable_lost_total",
            "Messages that never decrypted; the sender was asked to send again.",
        )
        self.rate_limited = r.counter(
            f"{p}rate_limited_total", "Times the homeserver told the gateway to slow down."
        )
        self.sync_failures = r.counter(
            f"{p}sync_failures_total", "Failed syncs (retried with backoff)."
        )
        self.events = r.counter(
            f"{p}log_events_total",
            "Structured log events, by event kind and level.",
            {"event": None, "level": LEVELS},
        )
        self._handlers: dict[str, Callable[[Mapping[str, Field]], None]] = {
            "message_screened": self._screened,
            "escalation_opened": lambda f: self.escalations.inc(level=_label(f, "level")),
            "risk_screened": lambda f: self.screened.inc(risk=_label(f, "risk")),
            "escalation_notice_sent": self._notice,
            "escalation_reescalated": lambda f: self.reescalations.inc(),
            "escalation_acknowledged": lambda f: self.changes.inc(change="acknowledged"),
            "escalation_resolved": lambda f: self.changes.inc(change="resolved"),
            "turn_answered": self._answered,
            "turn_overflow": lambda f: self.overflow.inc(),
            "dialogue_unavailable": lambda f: self.dialogue_down.inc(),
            "message_undecryptable": lambda f: self.undecryptable.inc(),
            "message_undecryptable_lost": lambda f: self.lost.inc(),
            "rate_limited": lambda f: self.rate_limited.inc(),
            "sync_failed": lambda f: self.sync_failures.inc(),
            "gateway_back": self._back,
        }

    def on_event(self, level: str, kind: str, fields: Mapping[str, Field]) -> None:
        """A bot.logs observer: count one structured event."""
        with self.registry.lock:
            if level != TALLY and _EVENT_KIND.match(kind):
                self.events.inc(event=kind, level=level)
            handler = self._handlers.get(kind)
            if handler is not None:
                handler(fields)

    def render(self) -> str:
        return self.registry.render()

    def _screened(self, fields: Mapping[str, Field]) -> None:
        seconds = _seconds(fields, "ms")
        if seconds is not None:
            self.screen_seconds.observe(seconds)

    def _notice(self, fields: Mapping[str, Field]) -> None:
        notice = _label(fields, "notice")
        self.pages.inc(notice=notice)
        seconds = _seconds(fields, "ms_since_created")
        if notice == "page" and seconds is not None:
            self.page_seconds.observe(seconds)

    def _answered(self, fields: Mapping[str, Field]) -> None:
        self.answered.inc()
        seconds = _seconds(fields, "ms")
        if seconds is not None:
            self.turn_seconds.observe(seconds)

    def _back(self, fields: Mapping[str, Field]) -> None:
        down = _seconds(fields, "down_s", scale=1.0)
        if down is not None:
            self.downtime.set(down)
        late = _seconds(fields, "late_messages", scale=1.0)
        if late is not None:
            self.late.set(late)


__all__ = ["Counter", "GatewayMetrics", "Histogram", "Sources"]
