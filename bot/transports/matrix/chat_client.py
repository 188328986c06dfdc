"""A participant-side Matrix client: what ``samtal chat`` (and the tests) use.

It stands in for the participant's phone: it logs in, opens an end-to-end
encrypted direct chat with the bot, sends text and collects the bot's notices.
Its crypto store is the participant's own device state.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path
from typing import Any
from uuid import uuid4

from nio import (
    Api,
    AsyncClient,
    AsyncClientConfig,
    InviteMemberEvent,
    LoginResponse,
    MatrixRoom,
    RoomCreateResponse,
    RoomMessageNotice,
    RoomMessageText,
    RoomSendResponse,
)
from nio.store import SqliteStore

from bot.transports.matrix.calls import checked
from bot.transports.matrix.rooms import ENCRYPTION_STATE
from safety.private_files import write_private


class ChatClient:
    def __init__(self, homeserver: str, user_id: str, store_dir: Path, pickle_key: str) -> None:
        store_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        config = AsyncClientConfig(
            store=SqliteStore,
            pickle_key=pickle_key,
            encryption_enabled=True,
            store_sync_tokens=True,
        )
        self.client = AsyncClient(homeserver, user_id, store_path=str(store_dir), config=config)
        self.inbox: asyncio.Queue[tuple[str, str, str]] = asyncio.Queue()
        # Every message received, with its event id and content, for inspection.
        self.received: list[tuple[str, str, str, dict[str, object]]] = []
        self._sync_task: asyncio.Task[None] | None = None
        self.client.add_event_callback(self._on_message, (RoomMessageNotice, RoomMessageText))
        self.client.add_event_callback(self._on_invite, InviteMemberEvent)

    async def login(self, password: str, device_name: str = "samtal chat") -> None:
        response = checked("login", await self.client.login(password, device_name=device_name))
        assert isinstance(response, LoginResponse)

    async def login_once(self, password: str, login_file: Path) -> None:
        """Keep one device across runs: log in the first time, restore after."""
        if login_file.exists():
            saved = json.loads(login_file.read_text())
            self.client.restore_login(saved["user_id"], saved["device_id"], saved["access_token"])
            return
        await self.login(password)
        login = {
            "user_id": self.client.user_id,
            "device_id": self.client.device_id,
            "access_token": self.client.access_token,
        }
        write_private(login_file, json.dumps(login))

    async def start(self) -> None:
        """Run the sync loop in the background, after one full first sync."""
        checked("sync", await self.client.sync(timeout=0, full_state=True))
        if self.client.should_upload_keys:
            checked("keys_upload", await self.client.keys_upload())
        self._sync_task = asyncio.create_task(self.client.sync_forever(timeout=10_000))

    async def stop(self) -> None:
        if self._sync_task is not None:
            self._sync_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._sync_task
        await self.client.close()

    async def _on_message(self, room: MatrixRoom, event: RoomMessageText) -> None:
        if event.sender != self.client.user_id:
            content = event.source.get("content", {})
            self.received.append((room.room_id, event.event_id, event.body, dict(content)))
            await self.inbox.put((room.room_id, event.sender, event.body))

    async def _on_invite(self, room: MatrixRoom, event: InviteMemberEvent) -> None:
        if event.state_key == self.client.user_id and event.membership == "invite":
            await self.client.join(room.room_id)

    async def open_chat(
        self,
        bot_user_id: str,
        *,
        encrypted: bool = True,
        wait_for_join: bool = True,
        timeout: float = 30,
    ) -> str:
        """Create a direct chat with the bot and wait until the bot has joined."""
        initial_state = [ENCRYPTION_STATE] if encrypted else []
        response = checked(
            "room_create",
            await self.client.room_create(
                is_direct=True, invite=[bot_user_id], initial_state=initial_state
            ),
        )
        assert isinstance(response, RoomCreateResponse)
        room_id = str(response.room_id)
        if wait_for_join:
            await self.wait_for_member(room_id, bot_user_id, timeout)
        return room_id

    async def wait_for_member(self, room_id: str, user_id: str, timeout: float) -> None:
        async with asyncio.timeout(timeout):
            while True:
                room = self.client.rooms.get(room_id)
                if room is not None and user_id in room.users and user_id not in room.invited_users:
                    return
                await asyncio.sleep(0.1)

    def trust_room(self, room_id: str) -> None:
        """Trust-on-first-use for every device in the room (the bot's, mostly)."""
        room = self.client.rooms[room_id]
        for user_id in room.users:
            for device in self.client.device_store.active_user_devices(user_id):
                if not device.verified:
                    self.client.verify_device(device)

    async def send(self, room_id: str, text: str, txn_id: str | None = None) -> str:
        """Send a text; the same ``txn_id`` on a retry makes the homeserver keep one copy."""
        content = {"msgtype": "m.text", "body": text}
        return await self.send_event(room_id, "m.room.message", content, txn_id)

    async def send_event(
        self, room_id: str, event_type: str, content: dict[str, Any], txn_id: str | None = None
    ) -> str:
        """Send any room event as a phone would (encrypted where the room is)."""
        room = self.client.rooms.get(room_id)
        if room is not None and room.encrypted:
            if self.client.should_query_keys:
                checked("keys_query", await self.client.keys_query())
            self.trust_room(room_id)
        response = checked(
            "room_send",
            await self.client.room_send(
                room_id, event_type, content, tx_id=txn_id, ignore_unverified_devices=True
            ),
        )
        assert isinstance(response, RoomSendResponse)
        return str(response.event_id)

    async def redact(self, room_id: str, event_id: str) -> None:
        checked("room_redact", await self.client.room_redact(room_id, event_id))

    async def replies(self, room_id: str, count: int, timeout: float = 30) -> list[str]:
        """Wait for ``count`` messages from others in ``room_id``."""
        collected: list[str] = []
        async with asyncio.timeout(timeout):
            while len(collected) < count:
                got_room, _, body = await self.inbox.get()
                if got_room == room_id:
                    collected.append(body)
        return collected

    async def quiet_for(self, room_id: str, seconds: float) -> list[str]:
        """Collect whatever arrives in ``room_id`` during ``seconds``."""
        collected: list[str] = []
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                while True:
                    got_room, _, body = await self.inbox.get()
                    if got_room == room_id:
                        collected.append(body)
        return collected

    def event_id_of(self, room_id: str, contains: str) -> str:
        """The id of the newest message in ``room_id`` whose body contains ``contains``."""
        for got_room, event_id, body, _ in reversed(self.received):
            if got_room == room_id and contains in body:
                return event_id
        raise KeyError(contains)

    async def react(self, room_id: str, event_id: str, key: str) -> None:
        """React as Element does: encrypted in an encrypted room (nio's own
        ``room_send`` leaves reactions in the clear)."""
        content = {"m.relates_to": {"rel_type": "m.annotation", "event_id": event_id, "key": key}}
        room = self.client.rooms.get(room_id)
        if room is None or not room.encrypted:
            await self.send_event(room_id, "m.reaction", content)
            return
        if not room.members_synced:
            checked("joined_members", await self.client.joined_members(room_id))
        if self.client.should_query_keys:
            checked("keys_query", await self.client.keys_query())
        self.trust_room(room_id)
        if self.client.olm is not None and self.client.olm.should_share_group_session(room_id):
            await self.client.share_group_session(room_id, ignore_unverified_devices=True)
        event_type, encrypted = self.client.encrypt(room_id, "m.reaction", content)
        method, path, data = Api.room_send(
            self.client.access_token, room_id, event_type, encrypted, str(uuid4())
        )
        response = await self.client.send(method, path, data)
        body = await response.json()
        checked("room_send", RoomSendResponse.from_dict(body, room_id))

    def rooms_shared_with(self, user_id: str) -> list[str]:
        return [r.room_id for r in self.client.rooms.values() if user_id in r.users]

    def private_room_with(self, user_id: str) -> str | None:
        """The joined room holding exactly this account and ``user_id`` (a staff
        member's desk, when ``user_id`` is the bot)."""
        me = str(self.client.user_id)
        for room in self.client.rooms.values():
            if not room.invited_users and set(room.users) == {me, user_id}:
                return str(room.room_id)
        return None
