"""What staff do from their desks (and the shared team room): acknowledge, resolve,
take over, release, confirm devices.

Participant content stays in desks: in the team room, which every staff member
reads, only the commands whose answers name no participant are run."""

from __future__ import annotations

import asyncio

from bot import logs
from bot.core.commands import HELP, Command, parse_command
from bot.core.model import Inbound
from bot.digest_poster import DigestPoster
from bot.escalation.desks import Desks
from bot.escalation.engine import EscalationEngine
from bot.escalation.staff_room import StaffRoom
from bot.handoff import Handoff
from bot.matrix.device_trust import Confirmation, DeviceTrust, Origin
from bot.matrix.sender import Sender, transaction_id

ACK_REACTIONS = frozenset({"✅", "✔️", "☑️", "👍"})
_TRUST_REPLIES = {
    Confirmation.CONFIRMED: "{code} is trusted: it gets messages from now on.",
    Confirmation.NOT_BY_OWNER: "{code} is on your own account: another staff member confirms it.",
    Confirmation.NOTHING_WAITING: "{code}: nothing is waiting under this code.",
}

_REFUSED = {
    Origin.IN_CLEAR: "Commands count only when sent encrypted; nothing was done.",
    Origin.WITHHELD_DEVICE: (
        "This device is not confirmed yet, so its commands count for nothing; nothing "
        "was done. Another staff member can confirm it with the code in its report."
    ),
    Origin.UNKNOWN_DEVICE: (
        "The bot does not know the device this came from yet; nothing was done. "
        "Try again in a moment."
    ),
}

_REACTION_REFUSED = (
    "A ✅ just now did not count: it came from a device that is not confirmed, or "
    "from an account that has one. The page is still open; type !ack with its code "
    "from a confirmed device."
)


# What may be typed in the team room: the answers name no participant.
_TEAM_ROOM_VERBS = frozenset({"help", "trust", "ack", "resolve"})
_USE_YOUR_DESK = (
    "This answer would name a participant, so it is given only in your desk (the room "
    "with only you and samtal). Type it there."
)
# The same answer for a code that does not exist and one the asker may not act on,
# so that a code's existence is not given away.
_NOTHING_TO_ACT_ON = "{code}: nothing found that you may act on under this code."


class StaffDesk:
    def __init__(
        self,
        room: StaffRoom,
        desks: Desks,
        engine: EscalationEngine,
        handoff: Handoff,
        sender: Sender,
        digest: DigestPoster,
        trust: DeviceTrust,
    ) -> None:
        self._room = room
        self._desks = desks
        self._trust = trust
        self._digest = digest
        self._engine = engine
        self._handoff = handoff
        self._sender = sender

    def is_staff_room(self, room_id: str) -> bool:
        return room_id == self._room.room_id or self._desks.owner_of(room_id) is not None

    def _members(self, room_id: str) -> frozenset[str]:
        owner = self._desks.owner_of(room_id)
        return self._room.members() if owner is None else self._desks.members_of(owner)

    def _may_speak(self, room_id: str, sender: str) -> bool:
        """Staff in the team room; in a desk, its owner alone."""
        owner = self._desks.owner_of(room_id)
        return sender in self._room.staff if owner is None else sender == owner

    async def on_message(self, inbound: Inbound) -> None:
        if not self._may_speak(inbound.room_id, inbound.sender):
            return
        parsed = parse_command(inbound.text)
        if parsed is None:
            return
        in_team_room = self._desks.owner_of(inbound.room_id) is None
        origin = await self._trust.origin(inbound.sender, inbound.device_key)
        if origin is not Origin.TRUSTED_DEVICE:
            # Whoever holds a staff password on a new device must not be able to
            # acknowledge pages, take over conversations or vouch for devices.
            logs.warning("staff_command_refused", origin=origin.value)
            reply = _REFUSED[origin]
        elif isinstance(parsed, Command) and in_team_room and parsed.verb not in _TEAM_ROOM_VERBS:
            reply = _USE_YOUR_DESK
        elif isinstance(parsed, Command):
            reply = await self._run(parsed, inbound)
        else:
            reply = parsed.reason
        await self._sender.notice(
            inbound.room_id,
            reply,
            transaction_id(inbound.event_id, 0),
            self._members(inbound.room_id),
        )
        logs.event("staff_command", verb=parsed.verb if isinstance(parsed, Command) else "invalid")

    async def _run(self, command: Command, inbound: Inbound) -> str:
        if command.verb == "help":
            return HELP
        if command.verb == "digest":
            # Reads every participant's notes: not on the event loop the sync runs on.
            return await asyncio.to_thread(self._digest.so_far, inbound.sender)
        if command.verb in ("ack", "resolve"):
            if not self._engine.may_act(command.code, inbound.sender):
                return _NOTHING_TO_ACT_ON.format(code=command.code)
            esc = self._engine.change(command.code, inbound.sender, close=command.verb == "resolve")
            if esc is None:
                return _NOTHING_TO_ACT_ON.format(code=command.code)
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

    async def on_reaction(
        self, room_id: str, sender: str, reacts_to: str, key: str, device_key: str | None
    ) -> None:
        if not self.is_staff_room(room_id) or not self._may_speak(room_id, sender):
            return
        if key not in ACK_REACTIONS:
            return
        origin = await self._trust.origin(sender, device_key)
        # Element Web sends reactions in the clear, naming no device: such a ✅
        # counts while every device of the account is trusted (docs/security.md).
        if origin is Origin.IN_CLEAR and await self._trust.vouches_for_account(sender):
            origin = Origin.TRUSTED_DEVICE
        if origin is not Origin.TRUSTED_DEVICE:
            logs.warning("staff_reaction_refused", origin=origin.value)
            # Whoever reacted must not believe the page is acknowledged.
            await self._sender.notice(
                room_id,
                _REACTION_REFUSED,
                transaction_id(f"refused {sender} {reacts_to}", 0),
                self._members(room_id),
            )
            return
        if self._engine.acknowledge_notice(reacts_to, sender):
            logs.event("escalation_reaction_ack")
