"""Who may send while the homeserver holds the bot to a rate limit.

A homeserver that limits the bot answers ``429 M_LIMIT_EXCEEDED`` with
``retry_after_ms``. Until then nothing new is sent, and when the wait is over
pages go before replies: a reply that met the limit does not start while a page
is waiting or being sent. Without a limit nothing changes order. A page is
never held up silently; the caller warns with the wait.
"""

from __future__ import annotations

from dataclasses import dataclass

# nio's own wait when a 429 carries no retry_after_ms; the homeserver decides otherwise.
DEFAULT_RETRY_MS = 5000
# How often a reply held back by a page looks again, should the page's end be missed.
RECHECK_S = 0.05


@dataclass(frozen=True)
class Ticket:
    """One send's place at the gate: when it asked, and what it found there."""

    page: bool
    asked_at: float
    holds_seen: int
    found_closed: bool


@dataclass
class RateGate:
    blocked_until: float = 0.0
    holds: int = 0
    pages_pending: int = 0

    def hold(self, now: float, retry_after_ms: int | None) -> int:
        """The homeserver refused a call; nothing new goes before its retry time.

        Returns the wait in ms that is honoured (the homeserver's, or nio's default).
        """
        wait_ms = retry_after_ms if retry_after_ms is not None and retry_after_ms > 0 else 0
        wait_ms = wait_ms or DEFAULT_RETRY_MS
        self.blocked_until = max(self.blocked_until, now + wait_ms / 1000)
        self.holds += 1
        return wait_ms

    def ask(self, *, page: bool, now: float) -> Ticket:
        if page:
            self.pages_pending += 1
        return Ticket(
            page=page, asked_at=now, holds_seen=self.holds, found_closed=now < self.blocked_until
        )

    def delay(self, ticket: Ticket, now: float) -> float:
        """Seconds ``ticket`` must still wait; 0.0 means it may send now."""
        if now < self.blocked_until:
            return self.blocked_until - now
        if not ticket.page and self.pages_pending and self._met_limit(ticket):
            return RECHECK_S
        return 0.0

    def retry_delay(self, *, page: bool, now: float) -> float:
        """Seconds a refused send must still wait before it is sent again.

        It waits out the homeserver's ``retry_after_ms`` like everything else, and
        a reply then also lets every pending page go before it.
        """
        if now < self.blocked_until:
            return self.blocked_until - now
        if not page and self.pages_pending:
            return RECHECK_S
        return 0.0

    def done(self, ticket: Ticket) -> None:
        if ticket.page:
            self.pages_pending = max(0, self.pages_pending - 1)

    def page_wait_ms(self, ticket: Ticket, now: float) -> float | None:
        """How long a page was held by rate limits, or None if it was not held.

        A page counts as held when it found the gate closed, or when a hold began
        while it waited or was in flight (nio retries a refused send itself, after
        ``retry_after_ms``).
        """
        if not ticket.page or not self._met_limit(ticket):
            return None
        return round((now - ticket.asked_at) * 1000, 1)

    def _met_limit(self, ticket: Ticket) -> bool:
        return ticket.found_closed or self.holds != ticket.holds_seen
