"""A forgotten participant's room keys leave the bot's crypto store for good."""

from __future__ import annotations

from pathlib import Path

import vodozemac
from nio import AsyncClient, AsyncClientConfig
from nio.crypto.sessions import InboundGroupSession

from bot.transports.matrix.room_keys import drop_room_keys

BOT = "@samtal:localhost"
SENDER_KEY = "IlRMeOPX2e0MurIyfWEucYBRVOEEUMrOHqn/8mLqMjA"


def bot_client(store: Path) -> AsyncClient:
    client = AsyncClient(
        "http://localhost",
        BOT,
        device_id="BOTDEV",
        store_path=str(store),
        config=AsyncClientConfig(encryption_enabled=True, store_sync_tokens=False),
    )
    client.user_id = BOT
    client.load_store()
    return client


def session_for(room: str) -> InboundGroupSession:
    outbound = vodozemac.GroupSession()
    return InboundGroupSession(outbound.session_key.to_base64(), "ed25519", SENDER_KEY, room)


def test_a_rooms_sessions_are_dropped_from_memory_and_disk(tmp_path: Path) -> None:
    client = bot_client(tmp_path)
    assert client.olm is not None and client.store is not None
    for room in ("!gone:localhost", "!gone:localhost", "!kept:localhost"):
        session = session_for(room)
        client.olm.inbound_group_store.add(session)
        client.store.save_inbound_group_session(session)
    assert drop_room_keys(client, "!gone:localhost") == 2
    assert not any(s.room_id == "!gone:localhost" for s in client.olm.inbound_group_store)
    reopened = bot_client(tmp_path)  # what a restart would load
    assert reopened.olm is not None
    rooms = [s.room_id for s in reopened.olm.inbound_group_store]
    assert rooms == ["!kept:localhost"]
