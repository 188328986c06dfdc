"""A room key reaches other devices only after the Olm state that encrypted it is on disk.

Encrypting a room key for a device advances the bot's Olm session with it. If
the bot is killed after the to-device message left but before the crypto store
was sealed, the restarted bot encrypts with the older session state, which the
other device has already moved past: it can no longer read the bot's answers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import vodozemac
from nio import AsyncClient, AsyncClientConfig, MatrixRoom, RoomSendResponse
from nio.crypto import OlmDevice
from nio.responses import ShareGroupSessionResponse

from bot.errors import MatrixCallError
from bot.transports.matrix.sealed_store import SealedSnapshots, sealed_store_class, snapshot
from bot.transports.matrix.sender import Sender

BOT = "@samtal:localhost"
PEER = "@deltagare:localhost"
ROOM = "!room:localhost"


class _Trust:
    """Device trust is not under test here: every device is already trusted."""

    def __init__(self) -> None:
        self.reports: list[Any] = []

    async def refresh(self, users: object) -> None:
        return None

    def apply(self, users: object) -> None:
        return None


def _bot(tmp_path: Path, snapshots: SealedSnapshots) -> AsyncClient:
    client = AsyncClient(
        "http://localhost",
        BOT,
        store_path=str(tmp_path),
        config=AsyncClientConfig(
            store=sealed_store_class(snapshots),
            store_name="bot-crypto.db",
            encryption_enabled=True,
            store_sync_tokens=False,
        ),
    )
    client.restore_login(BOT, "BOTDEV", "token")
    return client


def _with_peer_device(client: AsyncClient) -> None:
    """A participant's device the bot holds an Olm session with, in an encrypted room."""
    assert client.olm is not None
    peer = vodozemac.Account()
    peer.generate_one_time_keys(1)
    one_time_key = next(iter(peer.one_time_keys.values())).to_base64()
    curve = peer.curve25519_key.to_base64()
    device = OlmDevice(
        PEER, "PEERDEV", {"ed25519": peer.ed25519_key.to_base64(), "curve25519": curve}
    )
    client.olm.device_store.add(device)
    client.olm.store.save_device_keys({PEER: {"PEERDEV": device}})
    client.olm.verify_device(device)
    client.olm.create_session(one_time_key, curve)
    room = MatrixRoom(ROOM, BOT, encrypted=True)
    room.add_member(BOT, None, None)
    room.add_member(PEER, None, None)
    room.members_synced = True
    client.rooms[ROOM] = room


def _bot_with_peer(tmp_path: Path) -> tuple[AsyncClient, SealedSnapshots]:
    """The bot, its store sealed under a test key, in a room with one trusted peer."""
    snapshots = SealedSnapshots(tmp_path / "crypto.sealed", b"k" * 32)
    client = _bot(tmp_path, snapshots)
    _with_peer_device(client)
    return client, snapshots


async def _received(client: AsyncClient, response: Any) -> Any:
    """What nio's own `_send` does with a response: the client takes it in."""
    await client.receive_response(response)
    return response


async def test_the_crypto_store_is_sealed_before_a_room_key_is_sent(tmp_path: Path) -> None:
    client, snapshots = _bot_with_peer(tmp_path)
    assert client.store is not None
    store = client.store
    snapshot(store, snapshots)  # as after the last sync batch
    on_disk_at_send: list[bool] = []

    async def send(
        response: type, method: str, path: str, data: Any = None, *_: Any, **__: Any
    ) -> Any:
        if "/sendToDevice/" in path:
            # A SIGKILL here leaves what is on disk: it must already hold the
            # Olm state that encrypted this very message.
            now = store.database.connection().serialize()
            on_disk_at_send.append(snapshots.load() == now)
            return ShareGroupSessionResponse(ROOM, {(PEER, "PEERDEV")})
        return RoomSendResponse("$answer", ROOM)

    client._send = send  # type: ignore[method-assign]
    sender = Sender(client, _Trust(), after_key_share=lambda: snapshot(store, snapshots))  # type: ignore[arg-type]
    event_id = await sender.notice(ROOM, "hej", "txn-1", frozenset({BOT, PEER}))
    assert event_id == "$answer"
    assert on_disk_at_send == [True]
    await client.close()


async def test_nothing_is_sent_when_the_seal_fails(tmp_path: Path) -> None:
    client, _ = _bot_with_peer(tmp_path)
    sent: list[str] = []

    async def send(response: type, method: str, path: str, *_: Any, **__: Any) -> Any:
        sent.append(path)
        return RoomSendResponse("$answer", ROOM)

    def seal() -> None:
        raise OSError("disk full")

    client._send = send  # type: ignore[method-assign]
    sender = Sender(client, _Trust(), after_key_share=seal)  # type: ignore[arg-type]
    with pytest.raises(OSError, match="disk full"):
        await sender.notice(ROOM, "hej", "txn-1", frozenset({BOT, PEER}))
    assert sent == []
    await client.close()


async def test_a_room_key_shared_ahead_is_sealed_first_and_not_shared_again(
    tmp_path: Path,
) -> None:
    client, snapshots = _bot_with_peer(tmp_path)
    assert client.store is not None
    store = client.store
    snapshot(store, snapshots)
    sent: list[str] = []
    on_disk_at_send: list[bool] = []

    async def send(
        response: type, method: str, path: str, data: Any = None, *_: Any, **__: Any
    ) -> Any:
        sent.append("to_device" if "/sendToDevice/" in path else "message")
        if "/sendToDevice/" in path:
            on_disk_at_send.append(snapshots.load() == store.database.connection().serialize())
            return await _received(client, ShareGroupSessionResponse(ROOM, {(PEER, "PEERDEV")}))
        return RoomSendResponse("$answer", ROOM)

    client._send = send  # type: ignore[method-assign]
    sender = Sender(client, _Trust(), after_key_share=lambda: snapshot(store, snapshots))  # type: ignore[arg-type]
    members = frozenset({BOT, PEER})
    assert await sender.share_room_key_ahead(ROOM, members) is True
    assert await sender.share_room_key_ahead(ROOM, members) is False
    await sender.notice(ROOM, "hej", "txn-1", members)
    # One key share, sealed before it left; the first answer carried none.
    assert sent == ["to_device", "message"]
    assert on_disk_at_send == [True]
    await client.close()


async def test_a_room_with_someone_unexpected_gets_no_key_ahead(tmp_path: Path) -> None:
    client, _ = _bot_with_peer(tmp_path)
    client.rooms[ROOM].add_member("@annan:localhost", None, None)
    sent: list[str] = []

    async def send(response: type, method: str, path: str, *_: Any, **__: Any) -> Any:
        sent.append(path)
        return ShareGroupSessionResponse(ROOM, set())

    client._send = send  # type: ignore[method-assign]
    sender = Sender(client, _Trust(), after_key_share=lambda: None)  # type: ignore[arg-type]
    with pytest.raises(MatrixCallError, match="unexpected_members"):
        await sender.share_room_key_ahead(ROOM, frozenset({BOT, PEER}))
    assert sent == []
    await client.close()


def test_an_unchanged_crypto_store_is_not_written_again(tmp_path: Path) -> None:
    snapshots = SealedSnapshots(tmp_path / "crypto.sealed", b"k" * 32)
    client = _bot(tmp_path, snapshots)
    assert client.store is not None
    store = client.store
    snapshot(store, snapshots)
    first = snapshots.path.read_bytes()
    snapshot(store, snapshots)
    # A fresh nonce every write: equal bytes mean no write at all.
    assert snapshots.path.read_bytes() == first
    _with_peer_device(client)  # saves a device and an Olm session
    snapshot(store, snapshots)
    assert snapshots.path.read_bytes() != first
    assert snapshots.load() == store.database.connection().serialize()


async def test_a_key_share_that_did_not_arrive_is_made_again_by_the_first_message(
    tmp_path: Path,
) -> None:
    client, _ = _bot_with_peer(tmp_path)
    sent: list[str] = []

    async def send(response: type, method: str, path: str, *_: Any, **__: Any) -> Any:
        if "/sendToDevice/" in path:
            sent.append("to_device")
            if sent.count("to_device") == 1:  # the homeserver loses the first share
                raise RuntimeError("connection reset")
            return await _received(client, ShareGroupSessionResponse(ROOM, {(PEER, "PEERDEV")}))
        sent.append("message")
        return RoomSendResponse("$answer", ROOM)

    client._send = send  # type: ignore[method-assign]
    sender = Sender(client, _Trust(), after_key_share=lambda: None)  # type: ignore[arg-type]
    members = frozenset({BOT, PEER})
    with pytest.raises(MatrixCallError, match="not_shared"):
        await sender.share_room_key_ahead(ROOM, members)
    await sender.notice(ROOM, "hej", "txn-1", members)
    assert sent == ["to_device", "to_device", "message"]
    await client.close()


async def test_someone_who_joins_during_the_key_claim_gets_nothing(tmp_path: Path) -> None:
    client, _ = _bot_with_peer(tmp_path)
    sent: list[str] = []

    async def send(response: type, method: str, path: str, *_: Any, **__: Any) -> Any:
        sent.append(path)
        return await _received(client, ShareGroupSessionResponse(ROOM, {(PEER, "PEERDEV")}))

    # nio claims missing Olm sessions inside its share and reads the room's members
    # after that await: a sync in between can add someone.
    asked: list[int] = []

    def missing(room_id: str) -> dict[str, list[str]]:
        asked.append(1)
        return {PEER: ["PEERDEV"]} if len(asked) == 2 else {}

    async def claim(users: object) -> None:
        client.rooms[ROOM].add_member("@annan:localhost", None, None)

    client._send = send  # type: ignore[method-assign]
    client.get_missing_sessions = missing  # type: ignore[method-assign]
    client.keys_claim = claim  # type: ignore[method-assign,assignment]
    sender = Sender(client, _Trust(), after_key_share=lambda: None)  # type: ignore[arg-type]
    with pytest.raises(MatrixCallError, match="unexpected_members"):
        await sender.share_room_key_ahead(ROOM, frozenset({BOT, PEER}))
    assert sent == []
    await client.close()
