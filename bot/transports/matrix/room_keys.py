"""Forget a room's Megolm keys.

When a participant is forgotten, the bot leaves their room. The inbound group
sessions it kept for that room would still decrypt every message of theirs that
the homeserver holds, so they are dropped from memory and from the crypto
store, along with the bot's own outbound session there.
"""

from __future__ import annotations

from nio import AsyncClient
from nio.store.models import ForwardedChains, MegolmInboundSessions


def drop_room_keys(client: AsyncClient, room_id: str) -> int:
    """Remove every Megolm session of ``room_id``; return how many inbound ones."""
    olm = client.olm
    if olm is None:
        return 0
    # nio's session store has no way to remove sessions; its dict is the store.
    dropped = olm.inbound_group_store._entries.pop(room_id, {})
    count = sum(len(sessions) for sessions in dropped.values())
    olm.outbound_group_sessions.pop(room_id, None)
    store = client.store
    if store is not None:
        with store.database.bind_ctx([MegolmInboundSessions, ForwardedChains]):
            gone = MegolmInboundSessions.select(MegolmInboundSessions.session_id).where(
                MegolmInboundSessions.room_id == room_id
            )
            ForwardedChains.delete().where(ForwardedChains.session.in_(gone)).execute()
            MegolmInboundSessions.delete().where(MegolmInboundSessions.room_id == room_id).execute()
    return count
