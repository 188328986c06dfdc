"""Enrolment completed by a link: the participant opens the bot's chat with the code
their contact person gave them (Telegram's ``/start CODE``).

On a messenger where the bot cannot start a chat, enrolment is two steps: staff
issue a one-time link (`samtal enroll telegram:…`), and the participant's pressing
Start completes it. Then the chat is opened as for anyone enrolled, and the
introduction with its consent text follows. Anyone else who opens the chat gets
one neutral answer and nothing more: no hint of whether a code existed, and nothing
about them is kept.
"""

from __future__ import annotations

from bot import logs
from bot.core.model import Invited
from bot.core.texts import text
from bot.participants.accountability import Accountability
from bot.participants.opening import ChatOpening
from bot.state.participants import ParticipantRegistry
from bot.transports.idempotency import transaction_id
from bot.transports.port import Outbox

# Strangers answered in this process; kept in memory only, so nothing about them
# is written down, and capped so nobody can grow it without bound.
MAX_ANSWERED_STRANGERS = 10_000


class LinkEnrolment:
    def __init__(
        self,
        registry: ParticipantRegistry,
        opening: ChatOpening,
        outbox: Outbox,
        accountability: Accountability,
        default_language: str,
    ) -> None:
        self._registry = registry
        self._opening = opening
        self._outbox = outbox
        self._accountability = accountability
        self._default_language = default_language
        self._answered: set[str] = set()

    async def accept(self, invited: Invited) -> None:
        """Enrol the account the link reached, and open the chat with them."""
        existing = self._registry.find(invited.person)
        if existing is not None and existing.room_id is not None:
            logs.event("link_reused", participant=existing.pseudonym)
            return
        participant = self._registry.enroll(
            invited.person, invited.language, invited.mediator, invited.schedule
        )
        self._accountability.record(
            "enrolment", "participant", participant.pseudonym, "completed by enrolment link"
        )
        await self._opening.open(participant)
        logs.event("link_enrolled", participant=participant.pseudonym)

    async def refuse(self, conversation: str, person: str, event_id: str) -> None:
        """One neutral answer to someone the bot does not know, once.

        Someone enrolled who opens the chat again without a working code is no
        stranger: their chat goes on, and one whose enrolment was cut short (the
        code was spent, then opening the chat failed) has it opened now."""
        known = self._registry.find(person)
        if known is not None:
            if known.room_id is None:
                await self._opening.open(known)
            return
        if conversation in self._answered or len(self._answered) >= MAX_ANSWERED_STRANGERS:
            return
        self._answered.add(conversation)
        await self._outbox.notice(
            conversation,
            text("link_unknown", self._default_language),
            transaction_id(event_id, 0),
            frozenset({conversation}),
        )
        logs.event("stranger_answered")
