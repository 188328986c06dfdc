"""A message that never decrypts is counted and handed back, so its sender can be asked
to send it again; one that is still within its wait is kept."""

from __future__ import annotations

import json
from pathlib import Path

import vodozemac
from nio import AsyncClient, AsyncClientConfig, MegolmEvent, RoomMessageText
from nio.crypto.sessions import InboundGroupSession

from bot.transports.matrix.undecryptable import MAX_WAIT_SECONDS, Lost, UndecryptableQueue
from safety.vault import Vault, load_or_create_key_file

BOT = "@samtal:localhost"
ALICE = "@alice:localhost"


def undecryptable() -> MegolmEvent:
    event = MegolmEvent.from_dict(
        {
            "type": "m.room.encrypted",
            "event_id": "$lost",
            "sender": ALICE,
            "origin_server_ts": 1,
            "content": {
                "algorithm": "m.megolm.v1.aes-sha2",
                "ciphertext": "AwgAEnACgAkLmt6qF84IK++J7UDH2Za1YVchHyprqTqsg",
                "device_id": "ALICEDEV",
                "sender_key": "IlRMeOPX2e0MurIyfWEucYBRVOEEUMrOHqn/8mLqMjA",
                "session_id": "X3lUlvLELLYxeTx4yOVu6UDpasGEVO0Jbu+QFnm0cKQ",
            },
        }
    )
    assert isinstance(event, MegolmEvent)
    event.room_id = "!r:localhost"
    return event


def bot_client(tmp_path: Path) -> AsyncClient:
    client = AsyncClient(
        "http://localhost",
        BOT,
        device_id="BOTDEV",
        store_path=str(tmp_path),
        config=AsyncClientConfig(encryption_enabled=True, store_sync_tokens=False),
    )
    client.user_id = BOT  # as after a login
    client.load_store()  # a real Olm account, no homeserver needed
    return client


def test_an_event_that_never_decrypts_is_lost_once_and_counted(tmp_path: Path) -> None:
    client = bot_client(tmp_path)
    vault = Vault(tmp_path / "vault.db", load_or_create_key_file(tmp_path / "kek", create=True))
    try:
        queue = UndecryptableQueue(client, vault)
        queue.keep(undecryptable(), now=1000.0)
        waiting = queue.retry(now=1000.0 + MAX_WAIT_SECONDS - 1)
        assert waiting.ready == [] and waiting.lost == []
        gone = queue.retry(now=1000.0 + MAX_WAIT_SECONDS + 1)
        assert gone.lost == [Lost("!r:localhost", ALICE, "$lost")]
        assert queue.lost_total == 1
        assert queue.retry(now=1000.0 + 2 * MAX_WAIT_SECONDS).lost == []
    finally:
        vault.close()


def test_a_late_decrypted_event_stays_queued_until_intake_took_it(tmp_path: Path) -> None:
    client = bot_client(tmp_path)
    sender_key = "IlRMeOPX2e0MurIyfWEucYBRVOEEUMrOHqn/8mLqMjA"
    room = "!r:localhost"
    outbound = vodozemac.GroupSession()
    session_key = outbound.session_key.to_base64()  # before the ratchet moves on
    plaintext = {"type": "m.room.message", "content": {"msgtype": "m.text", "body": "hej"}}
    ciphertext = outbound.encrypt(json.dumps({**plaintext, "room_id": room}).encode())
    event = MegolmEvent.from_dict(
        {
            "type": "m.room.encrypted",
            "event_id": "$late",
            "sender": ALICE,
            "origin_server_ts": 1,
            "content": {
                "algorithm": "m.megolm.v1.aes-sha2",
                "ciphertext": ciphertext.to_base64(),
                "device_id": "ALICEDEV",
                "sender_key": sender_key,
                "session_id": outbound.session_id,
            },
        }
    )
    assert isinstance(event, MegolmEvent)
    event.room_id = room
    vault = Vault(tmp_path / "vault.db", load_or_create_key_file(tmp_path / "kek", create=True))
    try:
        queue = UndecryptableQueue(client, vault)
        queue.keep(event, now=1000.0)
        assert queue.retry(now=1001.0).ready == []  # its key has not come
        # The room key arrives (a forwarded key, or the sender's device shares it).
        session = InboundGroupSession(session_key, "ed25519-key", sender_key, room)
        assert client.olm is not None
        client.olm.inbound_group_store.add(session)
        first = queue.retry(now=1002.0)
        assert [(r, e.body) for r, e in first.ready if isinstance(e, RoomMessageText)] == [
            (room, "hej")
        ]
        # Intake failed (the batch is replayed): the event must still be there.
        again = queue.retry(now=1003.0)
        assert [e.event_id for _, e in again.ready] == ["$late"]
        queue.taken(["$late"])
        assert queue.retry(now=1004.0).ready == []
    finally:
        vault.close()


def test_a_replayed_batch_does_not_restart_the_wait(tmp_path: Path) -> None:
    client = bot_client(tmp_path)
    vault = Vault(tmp_path / "vault.db", load_or_create_key_file(tmp_path / "kek", create=True))
    try:
        queue = UndecryptableQueue(client, vault)
        queue.keep(undecryptable(), now=1000.0)
        queue.keep(undecryptable(), now=1000.0 + MAX_WAIT_SECONDS)  # the same event again
        gone = queue.retry(now=1000.0 + MAX_WAIT_SECONDS + 1)
        assert gone.lost == [Lost("!r:localhost", ALICE, "$lost")]
    finally:
        vault.close()
