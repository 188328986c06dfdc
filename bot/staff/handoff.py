"""Human handoff: a mediator takes the conversation over from the bot.

On Matrix the mediator is invited into the participant's own room, so the
conversation stays end-to-end encrypted between the two people and the bot never
relays words it could alter. A Telegram chat with a bot has room for two, so there
the bot relays: what the participant writes comes to the mediator's desk, and
what the mediator sends with ``!say`` goes to the chat under a pseudonymous staff
name (``Programme staff M-XXXX``), never their account or real name. While the
handoff lasts the dialogue is paused in Rasa and the bot stays silent, but every
message is still screened.
"""

from __future__ import annotations

from dataclasses import replace

from bot import logs
from bot.core.kinds import Kind
from bot.core.model import Participant
from bot.core.texts import text
from bot.core.transport_names import transport_of
from bot.errors import RasaUnavailable
from bot.escalation.desks import Desks
from bot.ids import ParticipantId, participant_code
from bot.participants.accountability import Accountability
from bot.rasa.client import RasaControl
from bot.staff.shown_content import ShownContent
from bot.state.participants import ParticipantRegistry
from bot.state.turns import PendingTurn
from bot.transports.idempotency import transaction_id
from bot.transports.port import Outbox, Transport

# The reply to a take-over that happened: seated in the chat, or relayed through
# the desk.
TAKEN = "you are invited into their chat"
RELAYED = "what they write comes to this desk"


class Handoff:
    def __init__(
        self,
        transport: Transport,
        registry: ParticipantRegistry,
        sender: Outbox,
        control: RasaControl,
        bot_user_id: str,
        accountability: Accountability,
        desks: Desks,
        shown: ShownContent,
    ) -> None:
        self._transport = transport
        self._registry = registry
        self._sender = sender
        self._control = control
        self._bot = bot_user_id
        self._accountability = accountability
        self._desks = desks
        self._shown = shown

    async def take(self, code: str, mediator: str, command_event: str, reason: str) -> str:
        participant = self._registry.by_code(code)
        if participant is None or participant.room_id is None:
            return f"{code}: no participant with a chat under that code."
        if participant.handoff_by is not None:
            return f"{code} is already with {participant.handoff_by}."
        # Recorded first: a take-over that cannot be recorded does not happen.
        self._accountability.record_with_reason(
            "handoff",
            self._accountability.staff(mediator),
            participant.pseudonym,
            "taken over",
            reason,
        )
        updated = replace(participant, handoff_by=mediator)
        self._registry.save(updated)
        await self._pause(participant.pseudonym, True)
        seated = await self._transport.bring_in(participant.room_id, mediator)
        expected = updated.room_members(self._bot)
        await self._sender.notice(
            participant.room_id,
            text("handoff_started" if seated else "handoff_started_relayed", participant.language),
            transaction_id(command_event, 0),
            expected,
        )
        logs.event("handoff_started", participant=participant.pseudonym, relayed=not seated)
        if not seated:
            return (
                f"{code}: they are on Telegram, where nobody else can join the chat, so "
                f"{RELAYED}. Answer with !say {code} followed by your message; it reaches "
                f"them as {self.staff_name(mediator, participant.language)}. "
                f"Type !release {code} when done."
            )
        return f"{code}: {TAKEN}. Type !release {code} when done."

    def staff_name(self, mediator: str, language: str) -> str:
        """How a relayed message is signed: stable per staff member, and naming nobody."""
        actor = self._accountability.staff(mediator)  # "staff:" and a keyed hash
        return text("staff_name", language).format(code="M-" + actor[6:10].upper())

    async def say(self, participant: Participant, mediator: str, words: str, event: str) -> str:
        """Relay a mediator's message into a chat the mediator cannot join."""
        code = participant_code(participant.pseudonym)
        if participant.handoff_by != mediator or participant.room_id is None:
            return f"{code}: you have not taken their conversation over (!take {code} reason…)."
        if transport_of(participant.room_id) != "telegram":
            return f"{code}: you are in their chat; write to them there."
        relayed = text("relayed_from_staff", participant.language).format(
            name=self.staff_name(mediator, participant.language), text=words
        )
        await self._sender.notice(
            participant.room_id,
            relayed,
            transaction_id(event, 0),
            participant.room_members(self._bot),
        )
        self._accountability.record(
            "handoff", self._accountability.staff(mediator), participant.pseudonym, "relayed"
        )
        logs.event("handoff_relayed", participant=participant.pseudonym, to="participant")
        return f"{code}: sent."

    async def relay(self, participant: Participant, turn: PendingTurn) -> None:
        """What a participant wrote during a relayed handoff, to the desk of whoever
        took over. Kept in the participant's records, so it leaves with their data."""
        mediator = participant.handoff_by
        room = participant.room_id
        if mediator is None or room is None or transport_of(room) != "telegram":
            return  # on Matrix the person who took over reads it in the room itself
        desk = self._desks.room_of(mediator)
        if desk is None or not self._desks.usable(mediator):
            logs.warning("handoff_relay_withheld", participant=participant.pseudonym)
            return
        code = participant_code(participant.pseudonym)
        body = (
            f"{code}: {turn.text}"
            if turn.kind == Kind.TEXT.value
            else f"{code} sent something other than text (not shown)."
        )
        event_id = await self._sender.notice(
            desk,
            body,
            transaction_id(f"relay {turn.event_id}", 0),
            self._desks.members_of(mediator),
        )
        self._shown.shown(participant.pseudonym, desk, event_id)
        logs.event("handoff_relayed", participant=participant.pseudonym, to="desk")

    async def release(self, code: str, mediator: str, command_event: str) -> str:
        participant = self._registry.by_code(code)
        if participant is None or participant.handoff_by is None or participant.room_id is None:
            return f"{code}: no handoff in progress."
        expected = participant.room_members(self._bot)
        self._registry.save(replace(participant, handoff_by=None))
        await self._pause(participant.pseudonym, False)
        await self._sender.notice(
            participant.room_id,
            text("handoff_ended", participant.language),
            transaction_id(command_event, 0),
            expected,
        )
        self._accountability.record(
            "handoff", self._accountability.staff(mediator), participant.pseudonym, "released"
        )
        logs.event("handoff_ended", participant=participant.pseudonym)
        code = participant_code(participant.pseudonym)
        if transport_of(participant.room_id) == "telegram":
            return f"{code} is back with samtal; the relay has ended."
        return f"{code} is back with samtal. Please leave their chat."

    async def _pause(self, pseudonym: str, paused: bool) -> None:
        try:
            await self._control.set_paused(ParticipantId(pseudonym), paused)
        except RasaUnavailable as exc:
            # The gateway keeps the bot silent on its own; Rasa catches up on resume.
            logs.warning("rasa_pause_failed", error=str(exc))
