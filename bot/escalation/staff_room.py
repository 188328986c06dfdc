"""The team room: one encrypted room the bot shares with all staff, for content-free
notices only (pages themselves go to each person's desk, bot.escalation.desks)."""

from __future__ import annotations

from nio import AsyncClient

from bot import logs
from bot.transports.matrix.rooms import create_encrypted_room
from safety.vault import Vault
from safety.vault.store import SYSTEM_OWNER


class StaffRoom:
    def __init__(self, client: AsyncClient, vault: Vault, staff: frozenset[str]) -> None:
        self._client = client
        self._vault = vault
        self.staff = staff
        self.room_id: str | None = None

    async def ensure(self) -> str:
        """The room's id, creating the room and inviting staff on first start."""
        record = self._vault.get("staff_room", SYSTEM_OWNER, "room")
        if record is not None:
            self.room_id = str(record["room_id"])
            return self.room_id
        self.room_id = await create_encrypted_room(
            self._client,
            sorted(self.staff),
            name="samtal · team",
            topic=(
                "Notices for all staff, naming no participant. Pages, summaries and "
                "commands are in your own desk."
            ),
        )
        self._vault.put("staff_room", SYSTEM_OWNER, "room", {"room_id": self.room_id})
        logs.event("staff_room_created", invited=len(self.staff))
        return self.room_id

    def members(self) -> frozenset[str]:
        """Who may receive the room's keys: the bot and staff, nobody else."""
        return self.staff | {str(self._client.user_id)}
