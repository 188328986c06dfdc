"""Each staff member's desk: a private, encrypted room with the bot and nobody else.

Pages, check-in summaries and command replies carry participant content, and a
participant's content is for the people responsible for them, not for every
colleague. So each staff member gets a room of their own. A desk that holds
anyone unexpected is never used for content: the escalation engine routes around
it (see ``bot.core.desk_routing``).
"""

from __future__ import annotations

from bot import logs
from bot.transports.port import Transport
from safety.vault import Vault
from safety.vault.store import SYSTEM_OWNER

_KIND = "staff_desk"
# What Element shows as the room's name.
DESK_NAME = "samtal · my desk"


class Desks:
    def __init__(self, transport: Transport, vault: Vault, staff: frozenset[str]) -> None:
        self._transport = transport
        self._vault = vault
        self.staff = staff
        self._rooms: dict[str, str] = {}

    async def ensure(self) -> None:
        """Know every staff member's desk, creating the missing ones. A desk that cannot
        be created now (the homeserver refuses one account) is tried again at the next
        start; the others are made regardless."""
        for person in sorted(self.staff):
            try:
                await self._ensure_one(person)
            except Exception as exc:
                logs.warning("desk_create_failed", error=type(exc).__name__)

    async def _ensure_one(self, person: str) -> str:
        record = self._vault.get(_KIND, SYSTEM_OWNER, person)
        if record is not None:
            self._rooms[person] = str(record["room_id"])
            return self._rooms[person]
        room_id = await self._transport.open_conversation(
            (person,),
            name=DESK_NAME,
            topic=(
                "Your pages, check-in summaries and commands. Only you and samtal are "
                "in this room. Type !help."
            ),
            direct=True,
        )
        self._vault.put(_KIND, SYSTEM_OWNER, person, {"room_id": room_id, "person": person})
        self._rooms[person] = room_id
        logs.event("desk_created")
        return room_id

    def room_of(self, person: str) -> str | None:
        return self._rooms.get(person)

    def owner_of(self, room_id: str) -> str | None:
        for person, desk in self._rooms.items():
            if desk == room_id:
                return person
        return None

    def members_of(self, person: str) -> frozenset[str]:
        """Who may receive a desk's keys: its owner and the bot."""
        return frozenset({person, self._transport.own_id})

    def strangers_in(self, person: str) -> int:
        """How many are in (or invited to) the desk besides its owner and the bot.
        A desk the bot has not synced yet counts as clean: the sender checks the
        members again before any key leaves."""
        room_id = self._rooms.get(person)
        if room_id is None:
            return 0
        return len(self._transport.members(room_id) - self.members_of(person))

    def usable(self, person: str) -> bool:
        return person in self._rooms and self.strangers_in(person) == 0

    def joined(self, person: str) -> bool:
        """Whether the owner has joined: a message encrypted before they join can never
        be read by them."""
        room_id = self._rooms.get(person)
        return room_id is not None and self._transport.joined(room_id, person)


def desk_rooms(vault: Vault) -> dict[str, str]:
    """Every staff member's desk room id, as the gateway recorded them."""
    return {
        str(record["person"]): str(record["room_id"])
        for _, record in vault.items(_KIND, SYSTEM_OWNER)
        if "person" in record
    }
