"""The team room: one encrypted room the bot shares with all staff, for content-free
notices only (pages themselves go to each person's desk, bot.escalation.desks)."""

from __future__ import annotations

from bot import logs
from bot.transports.port import Transport
from safety.vault import Vault
from safety.vault.store import SYSTEM_OWNER


class StaffRoom:
    def __init__(self, transport: Transport, vault: Vault, staff: frozenset[str]) -> None:
        self._transport = transport
        self._vault = vault
        self.staff = staff
        self.room_id: str | None = None

    async def ensure(self) -> str:
        """The room's id, creating the room and inviting staff on first start."""
        record = self._vault.get("staff_room", SYSTEM_OWNER, "room")
        if record is not None:
            self.room_id = str(record["room_id"])
            return self.room_id
        self.room_id = await self._transport.open_conversation(
            tuple(sorted(self.staff)),
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
        return self.staff | {self._transport.own_id}
