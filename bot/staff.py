"""What staff do in the mediators' room: acknowledge, resolve, take over, release."""

from __future__ import annotations

import asyncio

from bot import logs
from bot.core.commands import HELP, Command, parse_command
from bot.core.model import Inbound
from bot.digest_poster import DigestPoster
from bot.escalation.engine import EscalationEngine
from bot.escalation.staff_room import StaffRoom
from bot.handoff import Handoff
from bot.matrix.device_trust import Confirmation, DeviceTrust
from bot.matrix.sender import Sender, transaction_id

ACK_REACTIONS = frozenset({"✅", "✔️", "☑️", "👍"})
_TRUST_REPLIES = {
    Confirmation.CONFIRMED: "{code} is trusted: it gets messages from now on.",
    Confirmation.NOT_BY_OWNER: "{code} is on your own account: another staff member confirms it.",
    Confirmation.NOTHING_WAITING: "{code}: nothing is waiting under this code.",
}


class StaffDesk:
    def __init__(
        self,
        room: StaffRoom,
        engine: EscalationEngine,
        handoff: Handoff,
        sender: Sender,
        digest: DigestPoster,
        trust: DeviceTrust,
    ) -> None:
        self._room = room
        self._trust = trust
        self._digest = digest
        self._engine = engine
        self._handoff = handoff
        self._sender = sender

    def is_staff_room(self, room_id: str) -> bool:
        return room_id == self._room.room_id

    async def on_message(self, inbound: Inbound) -> None:
        if inbound.sender not in self._room.staff:
            return
        parsed = parse_command(inbound.text)
        if parsed is None:
            return
        reply = await self._run(parsed, inbound) if isinstance(parsed, Command) else parsed.reason
        await self._sender.notice(
            inbound.room_id, reply, transaction_id(inbound.event_id, 0), self._room.members()
        )
        logs.event("staff_command", verb=parsed.verb if isinstance(parsed, Command) else "invalid")

    async def _run(self, command: Command, inbound: Inbound) -> str:
        if command.verb == "help":
            return HELP
        if command.verb == "digest":
            # Reads every participant's notes: not on the event loop the sync runs on.
            return await asyncio.to_thread(self._digest.so_far)
        if command.verb in ("ack", "resolve"):
            esc = self._engine.change(command.code, inbound.sender, close=command.verb == "resolve")
            if esc is None:
                return f"{command.code}: no such escalation."
            if command.note:
                self._engine.add_note(esc, inbound.sender, command.note)
            return f"{esc.code} is {esc.state}."
        if command.verb == "take":
            return await self._handoff.take(command.code, inbound.sender, inbound.event_id)
        if command.verb == "trust":
            outcome = self._trust.confirm(command.code, inbound.sender)
            return _TRUST_REPLIES[outcome].format(code=command.code)
        if command.verb == "release":
            return await self._handoff.release(command.code, inbound.sender, inbound.event_id)
        return HELP

    def on_reaction(self, room_id: str, sender: str, reacts_to: str, key: str) -> None:
        if not self.is_staff_room(room_id) or sender not in self._room.staff:
            return
        if key in ACK_REACTIONS and self._engine.acknowledge_notice(reacts_to, sender):
            logs.event("escalation_reaction_ack")
