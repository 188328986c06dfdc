"""A message that never decrypts is counted and handed back, so its sender can be asked
to send it again; one that is still within its wait is kept."""

from __future__ import annotations

from pathlib import Path

from nio import AsyncClient, AsyncClientConfig, MegolmEvent

from bot.matrix.undecryptable import MAX_WAIT_SECONDS, Lost, UndecryptableQueue
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


def test_an_event_that_never_decrypts_is_lost_once_and_counted(tmp_path: Path) -> None:
    client = AsyncClient(
        "http://localhost",
        BOT,
        device_id="BOTDEV",
        store_path=str(tmp_path),
        config=AsyncClientConfig(encryption_enabled=True, store_sync_tokens=False),
    )
    client.user_id = BOT  # as after a login
    client.load_store()  # a real Olm account, no homeserver needed
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
