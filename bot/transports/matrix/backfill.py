"""Fill the gap a limited sync leaves, so nothing sent while the gateway was down is lost.

After downtime a sync returns only a room's newest events and marks the timeline
``limited``; the rest lie before ``prev_batch``. They are fetched through
``/messages`` back to the last event the gateway handled in that room (a marker
saved with the sync position), decrypted, and queued ahead of the batch's own
events, oldest first. A failed fetch fails the sync, so the same sync is retried
and the gap is not skipped; but a room whose gap keeps failing is given up on
(with a warning) after a few tries, so one room cannot stop screening in all.
"""

from __future__ import annotations

from nio import (
    AsyncClient,
    EncryptionError,
    MegolmEvent,
    MessageDirection,
    RoomMessagesResponse,
    SyncResponse,
)

from bot import logs
from bot.state.gateway_state import GatewayState
from bot.transports.matrix.calls import checked
from bot.transports.matrix.intake import Intake, TimelineEvent

PAGE_SIZE = 50
# A gap this long (2,000 events) is not a participant's downtime backlog; the rest
# is left, with a warning, rather than holding every other room up.
MAX_PAGES = 40
# Tries of one room's gap before it is left, so that other rooms' messages go on.
MAX_GAP_ATTEMPTS = 3


def _event_id(event: TimelineEvent) -> str | None:
    source = event.source if isinstance(event.source, dict) else {}
    found = source.get("event_id")
    return found if isinstance(found, str) else None


class Backfill:
    def __init__(self, client: AsyncClient, state: GatewayState, intake: Intake) -> None:
        self._client = client
        self._state = state
        self._intake = intake
        self._failures: dict[str, int] = {}

    async def fill(self, response: SyncResponse) -> None:
        """Queue every event of each limited room's gap, before the batch is handled."""
        for room_id, info in response.rooms.join.items():
            timeline = info.timeline
            if not timeline.limited or not timeline.prev_batch:
                continue
            room = self._client.rooms.get(room_id)
            marker = self._state.room_marker(room_id)
            if room is None or marker is None:
                # A room never handled before has no gap of the gateway's own to fill.
                logs.event("backfill_without_marker")
                continue
            try:
                events, reached = await self._gap(room_id, timeline.prev_batch, marker)
            except Exception as exc:
                failures = self._failures.get(room_id, 0) + 1
                self._failures[room_id] = failures
                if failures < MAX_GAP_ATTEMPTS:
                    raise  # the whole sync is tried again
                self._failures.pop(room_id, None)
                logs.warning("backfill_failed", error=type(exc).__name__, attempts=failures)
                continue
            self._failures.pop(room_id, None)
            self._intake.take_earlier(room, events)
            if reached:
                logs.event("backfill", events=len(events))
            else:
                logs.warning("backfill_incomplete", events=len(events))

    def remember(self, response: SyncResponse) -> None:
        """Mark the newest event of each room as handled (after the batch is); a room
        the bot has left (a participant forgotten) keeps no trace here."""
        for room_id, info in response.rooms.join.items():
            ids = [found for event in info.timeline.events if (found := _event_id(event))]
            if ids:
                self._state.save_room_marker(room_id, ids[-1])
        for room_id in response.rooms.leave:
            self._state.forget_room_marker(room_id)

    async def _gap(
        self, room_id: str, prev_batch: str, marker: str
    ) -> tuple[list[TimelineEvent], bool]:
        """The events between ``marker`` and ``prev_batch``, oldest first, and whether
        the marker was reached."""
        newest_first: list[TimelineEvent] = []
        token = prev_batch
        for _ in range(MAX_PAGES):
            page = checked(
                "room_messages",
                await self._client.room_messages(
                    room_id, start=token, direction=MessageDirection.back, limit=PAGE_SIZE
                ),
            )
            assert isinstance(page, RoomMessagesResponse)
            for event in page.chunk:
                if _event_id(event) == marker:
                    return [self._decrypted(room_id, e) for e in reversed(newest_first)], True
                newest_first.append(event)
            if not page.chunk or not page.end or page.end == token:
                break  # the start of the room
            token = page.end
        return [self._decrypted(room_id, e) for e in reversed(newest_first)], False

    def _decrypted(self, room_id: str, event: TimelineEvent) -> TimelineEvent:
        """nio decrypts a /messages page only when it can tell the room; tell it."""
        if not isinstance(event, MegolmEvent):
            return event
        event.room_id = room_id
        try:
            decrypted: TimelineEvent = self._client.decrypt_event(event)
            return decrypted
        except EncryptionError:
            return event  # queued as undecryptable: its key is requested and it waits
