"""Send notices: plain text, no mentions, only to the people who should read them.

Only the room's expected members get keys; a room holding anyone else gets
nothing. Which of their devices get keys is DeviceTrust's decision: devices
their owner cross-signed, or, where the owner has no cross-signing, devices
first seen. The transaction id is derived from the message being answered, so a
resend after a crash is deduplicated by the homeserver instead of reaching the
reader twice. While the homeserver rate-limits the bot, pages go before
everything else.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from nio import AsyncClient, RoomSendResponse

from bot.core.device_trust import DeviceReport
from bot.errors import MatrixCallError
from bot.transports.idempotency import transaction_id as transaction_id
from bot.transports.matrix.calls import checked
from bot.transports.matrix.device_trust import DeviceTrust
from bot.transports.matrix.key_share import seal_before_sending_room_keys
from bot.transports.matrix.rate_limits import SendGate, watch_rate_limits


def notice_content(text: str, mentions: tuple[str, ...] = ()) -> dict[str, object]:
    """A plain m.notice. No formatted_body; mentions only the people named."""
    return {
        "msgtype": "m.notice",
        "body": text,
        "m.mentions": {"user_ids": list(mentions)} if mentions else {},
    }


class Sender:
    def __init__(
        self,
        client: AsyncClient,
        trust: DeviceTrust,
        after_key_share: Callable[[], None] = lambda: None,
    ) -> None:
        self._client = client
        self._trust = trust
        # Sharing a room key advances Olm sessions; the crypto store is sealed after
        # the keys are encrypted and before they are sent, not at the next sync batch,
        # so a crash cannot roll the sessions back behind what other devices have seen.
        self._seal = after_key_share
        # Key queries and claims are per client, not per room: one at a time.
        self._keys_lock = asyncio.Lock()
        # (waiting for keys, encrypting and sending) of the last notice, for the logs.
        self.last_timing_ms: tuple[float, float] = (0.0, 0.0)
        # Per room, the members its key may go to, as last checked before a send.
        self._members_allowed: dict[str, frozenset[str]] = {}
        self.gate = SendGate()
        watch_rate_limits(client, self.gate)

    @property
    def new_devices(self) -> list[DeviceReport]:
        """Devices staff must hear about: a new phone, or someone else in the account."""
        return self._trust.reports

    def trust_expected_devices(self, room_id: str, expected: frozenset[str]) -> None:
        room = self._client.rooms.get(room_id)
        if room is None:
            raise MatrixCallError("room_send", "unknown_room", "room not synced yet")
        strangers = set(room.users) - expected
        if strangers:
            raise MatrixCallError("room_send", "unexpected_members", f"{len(strangers)} others")
        self._members_allowed[room_id] = expected
        self._trust.apply(room.users)

    async def prepare(self, room_id: str) -> None:
        """Make sure every member's devices are known and have an Olm session."""
        room = self._client.rooms.get(room_id)
        if room is not None and not room.members_synced:
            checked("joined_members", await self._client.joined_members(room_id))
        if self._client.should_query_keys:
            checked("keys_query", await self._client.keys_query())
        if room is not None:
            await self._trust.refresh(room.users)
        missing = self._client.get_missing_sessions(room_id)
        if missing:
            checked("keys_claim", await self._client.keys_claim(missing))

    async def share_room_key_ahead(self, room_id: str, expected: frozenset[str]) -> bool:
        """Share the room's key with its members' trusted devices now, before any
        message needs it, as Element does when someone starts to type. The first
        answer in a new room then waits for no key query, claim or to-device send,
        and a crowd of new participants does not queue those in front of answers.
        False when there was nothing to share (already shared, or being shared)."""
        room = self._client.rooms.get(room_id)
        olm = self._client.olm
        if room is None or not room.encrypted or olm is None:
            return False
        async with self._keys_lock:
            await self.prepare(room_id)
            self.trust_expected_devices(room_id, expected)
        # No await between this check and nio marking the share as in flight, so a
        # message sent meanwhile waits for this share instead of starting another.
        if room_id in self._client.sharing_session or not olm.should_share_group_session(room_id):
            return False
        seal_before_sending_room_keys(olm, self._seal, self._members_allowed.get)
        checked("share_group_session", await self._client.share_group_session(room_id))
        # nio marks the key shared even when a to-device send failed; then the first
        # message would never share it again, and that device could read nothing.
        unshared = self._devices_without_key(room_id)
        if unshared:
            self._client.invalidate_outbound_session(room_id)
            raise MatrixCallError("share_group_session", "not_shared", f"{unshared} devices")
        return True

    def _devices_without_key(self, room_id: str) -> int:
        """Devices of the room's members that neither got its key nor were left out
        on purpose (the bot's own device, withheld devices)."""
        olm, room = self._client.olm, self._client.rooms.get(room_id)
        session = None if olm is None else olm.outbound_group_sessions.get(room_id)
        if olm is None or room is None or session is None:
            return 0
        done = session.users_shared_with | session.users_ignored
        return sum(
            (user, device.id) not in done
            for user in room.users
            for device in olm.device_store.active_user_devices(user)
        )

    async def redact(self, room_id: str, event_id: str, reason: str) -> None:
        """Remove one of the bot's own messages from the room (its content is dropped
        by the homeserver; the event's place stays)."""
        checked("room_redact", await self._client.room_redact(room_id, event_id, reason=reason))

    async def typing(self, room_id: str, active: bool) -> None:
        """Show that an answer is coming; typing expires by itself after 15 s."""
        checked("room_typing", await self._client.room_typing(room_id, active, timeout=15_000))

    async def notice(
        self,
        room_id: str,
        text: str,
        txn_id: str,
        expected: frozenset[str],
        *,
        mentions: tuple[str, ...] = (),
        page: bool = False,
    ) -> str:
        """Send one notice; a ``page`` goes first while the bot is rate-limited."""
        async with self.gate.turn(page=page):
            return await self._notice(room_id, text, txn_id, expected, mentions)

    async def _notice(
        self,
        room_id: str,
        text: str,
        txn_id: str,
        expected: frozenset[str],
        mentions: tuple[str, ...],
    ) -> str:
        started = time.perf_counter()
        room = self._client.rooms.get(room_id)
        if room is not None and room.encrypted:
            async with self._keys_lock:
                await self.prepare(room_id)
                self.trust_expected_devices(room_id, expected)
        prepared = time.perf_counter()
        olm = self._client.olm
        if olm is not None:
            seal_before_sending_room_keys(olm, self._seal, self._members_allowed.get)
        response = checked(
            "room_send",
            await self._client.room_send(
                room_id, "m.room.message", notice_content(text, mentions), txn_id
            ),
        )
        assert isinstance(response, RoomSendResponse)
        self.last_timing_ms = (
            round((prepared - started) * 1000, 1),
            round((time.perf_counter() - prepared) * 1000, 1),
        )
        return str(response.event_id)
