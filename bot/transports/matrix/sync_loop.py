"""The sync loop, with the sync position managed by the gateway itself.

nio moves its own ``next_batch`` before callbacks run. Here the position is
persisted only after every event of the batch has been handled, so a crash
replays the batch (and the turn ledger makes the replay harmless) instead of
skipping it. Key upload, query and claim run as in ``sync_forever``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from nio import AsyncClient, SyncResponse

from bot import logs
from bot.state.gateway_state import GatewayState
from bot.transports.matrix.backfill import Backfill
from bot.transports.matrix.calls import checked

MAX_BACKOFF_SECONDS = 30.0

# The gateway acts on timeline events, room state, invites and to-device keys
# only. Typing, receipts and presence would wake every long poll for nothing:
# an Element client sends typing on each keystroke and a receipt on each read.
SYNC_FILTER: dict[str, object] = {
    "presence": {"not_types": ["*"]},
    "account_data": {"not_types": ["*"]},
    "room": {
        "ephemeral": {"not_types": ["*"]},
        "account_data": {"not_types": ["*"]},
    },
}


class SyncLoop:
    def __init__(
        self,
        client: AsyncClient,
        state: GatewayState,
        handle_batch: Callable[[], Awaitable[None]],
        *,
        backfill: Backfill | None = None,
        before_position_saved: Callable[[], None] = lambda: None,
        long_poll_ms: int = 30_000,
    ) -> None:
        self._client = client
        self._state = state
        self._handle_batch = handle_batch
        self._backfill = backfill
        self._before_position_saved = before_position_saved
        self._long_poll_ms = long_poll_ms
        self.first_sync_done = asyncio.Event()
        # time.monotonic() of the last sync whose batch was handled (for /healthz).
        self.last_synced_at: float | None = None

    async def _keys(self) -> None:
        client = self._client
        if client.should_upload_keys:
            checked("keys_upload", await client.keys_upload())
        if client.should_query_keys:
            checked("keys_query", await client.keys_query())
        if client.should_claim_keys:
            checked("keys_claim", await client.keys_claim(client.get_users_for_key_claiming()))
        if client.outgoing_to_device_messages:
            # nio Olm-encrypted these while the batch was handled; seal that Olm
            # state before they leave, so a crash cannot roll it back behind them.
            self._before_position_saved()
        for response in await client.send_to_device_messages():
            checked("to_device", response)

    async def once(self, *, first: bool) -> None:
        since = self._state.sync_token()
        response = checked(
            "sync",
            await self._client.sync(
                timeout=0 if first else self._long_poll_ms,
                sync_filter=SYNC_FILTER,
                since=since,
                full_state=True if first else None,
            ),
        )
        assert isinstance(response, SyncResponse)
        await self._keys()
        if self._backfill is not None:
            await self._backfill.fill(response)
        await self._handle_batch()
        self._before_position_saved()
        if self._backfill is not None:
            self._backfill.remember(response)
        self._state.save_sync_token(response.next_batch)

    async def run(self) -> None:
        failures = 0
        first = True
        while True:
            try:
                await self.once(first=first)
                self.last_synced_at = time.monotonic()
                if first:
                    logs.event("gateway_ready")
                first = False
                failures = 0
                self.first_sync_done.set()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a failed sync or batch must not end the loop
                failures += 1
                delay = min(MAX_BACKOFF_SECONDS, 0.5 * 2**failures)
                logs.warning("sync_failed", error=type(exc).__name__, retry_in_s=delay)
                await asyncio.sleep(delay)
