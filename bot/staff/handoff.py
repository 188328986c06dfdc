"""Human handoff: a mediator joins the participant's encrypted room and talks directly.

The mediator is invited into the participant's own room, so the conversation
stays end-to-end encrypted between the two people and the bot never relays
words it could alter. While the handoff lasts the dialogue is paused in Rasa
and the bot stays silent, but every message is still screened.
"""

from __future__ import annotations

from dataclasses import replace

from bot import logs
from bot.core.texts import text
from bot.errors import RasaUnavailable
from bot.ids import ParticipantId, participant_code
from bot.participants.accountability import Accountability
from bot.rasa.client import RasaControl
from bot.state.participants import ParticipantRegistry
from bot.transports.idempotency import transaction_id
from bot.transports.port import Outbox, Transport

# The reply to a take-over that happened.
TAKEN = "you are invited into their chat"


class Handoff:
    def __init__(
        self,
        transport: Transport,
        registry: ParticipantRegistry,
        sender: Outbox,
        control: RasaControl,
        bot_user_id: str,
        accountability: Accountability,
    ) -> None:
        self._transport = transport
        self._registry = registry
        self._sender = sender
        self._control = control
        self._bot = bot_user_id
        self._accountability = accountability

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
        await self._transport.bring_in(participant.room_id, mediator)
        expected = updated.room_members(self._bot)
        await self._sender.notice(
            participant.room_id,
            text("handoff_started", participant.language),
            transaction_id(command_event, 0),
            expected,
        )
        logs.event("handoff_started", participant=participant.pseudonym)
        return f"{code}: {TAKEN}. Type !release {code} when done."

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
        return f"{code} is back with samtal. Please leave their chat."

    async def _pause(self, pseudonym: str, paused: bool) -> None:
        try:
            await self._control.set_paused(ParticipantId(pseudonym), paused)
        except RasaUnavailable as exc:
            # The gateway keeps the bot silent on its own; Rasa catches up on resume.
            logs.warning("rasa_pause_failed", error=str(exc))
