"""Staff commands and ✅ reactions, from desks and the shared team room.

A command counts only from a device the bot trusts, then the authorisation
matrix decides (bot.core.authorisation) and bot.staff.programme carries it out.
Participant content stays in desks: in the team room, which every staff member
reads, only the commands whose answers name no participant are run."""

from __future__ import annotations

import asyncio

from bot import logs
from bot.core.authorisation import Allowed, Denied, Ownership, acknowledgeable, decide
from bot.core.commands import Command, help_text, parse_command
from bot.core.device_trust import Confirmation, Origin
from bot.core.model import Inbound, Participant
from bot.escalation.desks import Desks
from bot.escalation.engine import EscalationEngine
from bot.escalation.staff_room import StaffRoom
from bot.staff.access import StaffAccess
from bot.staff.digest import DigestPoster
from bot.staff.handoff import RELAYED, TAKEN, Handoff
from bot.staff.programme import Programme
from bot.staff.shown_content import ShownContent
from bot.transports.idempotency import transaction_id
from bot.transports.port import DeviceVouching, Outbox

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
# Verbs whose answer quotes what a participant wrote.
_SHOWS_CONTENT = frozenset({"answers"})
# Verbs that act on a page (E-code) rather than a participant (P-code).
_ON_PAGES = frozenset({"ack", "resolve"})


class StaffDesk:
    def __init__(
        self,
        room: StaffRoom,
        desks: Desks,
        engine: EscalationEngine,
        handoff: Handoff,
        sender: Outbox,
        digest: DigestPoster,
        trust: DeviceVouching,
        access: StaffAccess,
        programme: Programme,
        languages: tuple[str, ...],
        shown: ShownContent,
    ) -> None:
        self._room = room
        self._desks = desks
        self._trust = trust
        self._digest = digest
        self._engine = engine
        self._handoff = handoff
        self._sender = sender
        self._access = access
        self._programme = programme
        self._languages = languages
        self._shown = shown

    def is_staff_room(self, room_id: str) -> bool:
        return room_id == self._room.room_id or self._desks.owner_of(room_id) is not None

    def _members(self, room_id: str) -> frozenset[str]:
        owner = self._desks.owner_of(room_id)
        return self._room.members() if owner is None else self._desks.members_of(owner)

    def _may_speak(self, room_id: str, sender: str) -> bool:
        """Staff in the team room; in a desk, its owner alone, and only while nobody
        else is in it: a command's answer could not be sent there, and what it does
        (reading answers, say) must not happen unseen."""
        owner = self._desks.owner_of(room_id)
        if owner is None:
            return sender in self._room.staff
        if sender == owner and not self._desks.usable(owner):
            logs.warning("desk_command_ignored", reason="strangers_in_desk")
            return False
        return sender == owner

    async def on_message(self, inbound: Inbound) -> None:
        if not self._may_speak(inbound.room_id, inbound.sender):
            return
        parsed = parse_command(inbound.text, self._languages)
        if parsed is None:
            return
        in_team_room = self._desks.owner_of(inbound.room_id) is None
        origin = await self._trust.origin(inbound.sender, inbound.device_key)
        replies: tuple[str, ...]
        if origin is not Origin.TRUSTED_DEVICE:
            # Whoever holds a staff password on a new device must not be able to
            # acknowledge pages, take over conversations or vouch for devices.
            logs.warning("staff_command_refused", origin=origin.value)
            replies = (_REFUSED[origin],)
        elif isinstance(parsed, Command) and in_team_room and parsed.verb not in _TEAM_ROOM_VERBS:
            replies = (_USE_YOUR_DESK,)
        elif isinstance(parsed, Command):
            replies = await self._authorised(parsed, inbound)
        else:
            replies = (parsed.reason,)
        # An answer quoting what a participant wrote is removed with their data.
        about = (
            self._access.participant(parsed.code)
            if isinstance(parsed, Command) and parsed.verb in _SHOWS_CONTENT
            else None
        )
        for index, reply in enumerate(replies):
            event_id = await self._sender.notice(
                inbound.room_id,
                reply,
                transaction_id(inbound.event_id, index),
                self._members(inbound.room_id),
            )
            if about is not None:
                self._shown.shown(about.pseudonym, inbound.room_id, event_id)
        logs.event("staff_command", verb=parsed.verb if isinstance(parsed, Command) else "invalid")

    async def _authorised(self, command: Command, inbound: Inbound) -> tuple[str, ...]:
        actor = inbound.sender
        roles = self._access.roles_of(actor)
        participant = self._access.participant(command.code)
        if command.verb in _ON_PAGES:
            ownership = self._access.of_page(self._engine.find(command.code), actor)
        elif command.code.startswith("P-"):
            ownership = self._access.of_participant(participant, actor)
        else:
            ownership = Ownership.NONE
        decision = decide(command.verb, roles, ownership, has_reason=bool(command.text))
        logs.event(
            "staff_decision",
            verb=command.verb,
            allowed=isinstance(decision, Allowed),
            ownership=ownership.value,
        )
        if isinstance(decision, Denied):
            return (decision.message,)
        return await self._run(command, inbound, participant, decision)

    async def _run(
        self, command: Command, inbound: Inbound, participant: Participant | None, decision: Allowed
    ) -> tuple[str, ...]:
        actor = inbound.sender
        programme = self._programme
        verb = command.verb
        if verb == "help":
            return (help_text(self._languages),)
        if verb == "digest":
            # Reads every participant's notes: not on the event loop the sync runs on.
            return (await asyncio.to_thread(self._digest.so_far, actor),)
        if verb == "list":
            roles = self._access.roles_of(actor)
            routed = await asyncio.to_thread(self._access.routed_participants, actor)
            return (await asyncio.to_thread(programme.list_for, actor, roles, routed),)
        if verb == "trust":
            outcome = self._trust.confirm(command.code, actor)
            return (_TRUST_REPLIES[outcome].format(code=command.code),)
        if verb == "enroll":
            return (await programme.enroll(command, actor, self._access.roles_of(actor)),)
        if verb in _ON_PAGES:
            esc = self._engine.change(command.code, actor, close=verb == "resolve")
            assert esc is not None  # authorised, so it exists
            if command.text:
                self._engine.add_note(esc, actor, command.text)
            return (f"{esc.code} is {esc.state}.",)
        assert participant is not None  # authorised on a participant, so one exists
        return await self._on_participant(command, inbound, participant, decision)

    async def _on_participant(
        self, command: Command, inbound: Inbound, participant: Participant, decision: Allowed
    ) -> tuple[str, ...]:
        actor = inbound.sender
        programme = self._programme
        verb = command.verb
        if verb == "status":
            return (programme.status(participant),)
        if verb == "answers":
            return await programme.answers(
                participant, command, actor, with_reason=decision.needs_reason
            )
        if verb == "take":
            taken = await self._handoff.take(command.code, actor, inbound.event_id, command.text)
            if participant.mediator not in (None, actor) and (TAKEN in taken or RELAYED in taken):
                await programme.tell_mediator(participant, actor, "took over the conversation")
            return (taken,)
        if verb == "release":
            return (await self._handoff.release(command.code, actor, inbound.event_id),)
        if verb == "say":
            return (await self._handoff.say(participant, actor, command.text, inbound.event_id),)
        if verb == "note":
            return (programme.note(participant, command, actor),)
        if verb in ("pause", "resume"):
            return (programme.pause(participant, actor, paused=verb == "pause"),)
        if verb == "schedule":
            return (programme.schedule(participant, command, actor),)
        if verb == "checkin":
            return (programme.checkin(participant, actor),)
        if verb == "assign":
            return (await programme.assign(participant, command, actor),)
        if verb == "unenroll":
            return (programme.unenroll(participant, actor),)
        return (help_text(self._languages),)

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
        # A ✅ on a batch acknowledges only the pages in it the reactor may act on.
        pages = {
            esc.code: self._access.of_page(esc, sender)
            for esc in self._engine.notice_escalations(reacts_to)
        }
        allowed = acknowledgeable(self._access.roles_of(sender), pages)
        for code in allowed:
            self._engine.change(code, sender, close=False)
        if allowed:
            logs.event("escalation_reaction_ack", pages=len(allowed))
