"""The bot opens the chat with a newly enrolled participant and starts consent.

Enrolled from a desk (``!enroll``), a participant need not know how to find the
bot: it creates an encrypted direct chat and invites them. Nothing is said until
they have joined (a message encrypted before would not reach devices they log
in with later); then the dialogue greets them and asks for consent, in turn
with anything they write. The pending introduction is a sealed record of the
participant's own, so a restart still sends it and a shred removes it.
"""

from __future__ import annotations

import time
from dataclasses import replace
from functools import partial

from bot import logs
from bot.config import GatewayConfig
from bot.core.effects import EffectValidator
from bot.core.model import Participant
from bot.core.packing import pack
from bot.core.replies import MAX_REPLY_CHARS
from bot.ids import RoomId
from bot.rasa.client import RasaClient
from bot.rasa.opening import open_in_dialogue
from bot.state.checkins import CheckinStore
from bot.state.participants import ParticipantRegistry
from bot.transports.idempotency import transaction_id
from bot.transports.port import Outbox, Transport
from bot.turns.workers import RoomWorkers
from safety.vault import Vault

_KIND = "introduction_due"
_KEY = "intro"
GREET = "greet"
# An introduction that cannot be given (Rasa down, the room changed) is tried again
# this often, this many times; after that the participant's first message starts it.
RETRY_SECONDS = 30.0
MAX_TRIES = 5


class ChatOpening:
    def __init__(
        self,
        transport: Transport,
        config: GatewayConfig,
        vault: Vault,
        registry: ParticipantRegistry,
        checkins: CheckinStore,
        rasa: RasaClient,
        validator: EffectValidator,
        sender: Outbox,
        workers: RoomWorkers,
    ) -> None:
        self._transport = transport
        self._config = config
        self._vault = vault
        self._registry = registry
        self._checkins = checkins
        self._rasa = rasa
        self._validate = validator
        self._sender = sender
        self._workers = workers
        self._queued: set[str] = set()

    async def open(self, participant: Participant) -> str:
        """Create the chat and invite them; an existing chat is kept."""
        if participant.room_id is not None:
            return participant.room_id
        room_id = RoomId(
            await self._transport.open_conversation((participant.matrix_id,), direct=True)
        )
        self._registry.save(replace(participant, room_id=room_id))
        self._vault.put(_KIND, participant.pseudonym, _KEY, {"room_id": room_id, "at": time.time()})
        logs.event("chat_opened", participant=participant.pseudonym)
        return room_id

    def poll(self) -> None:
        """Queue the introduction of everyone who has joined the chat opened for them."""
        for pseudonym, due in list(self._vault.items(_KIND)):
            room_id = str(due["room_id"])
            participant = self._registry.get(pseudonym)
            if participant is None or pseudonym in self._queued:
                continue
            if not self._transport.knows(room_id):
                continue
            if time.time() < float(str(due.get("next_try", 0.0))):
                continue  # backing off after a failed try
            if self._transport.joined(room_id, participant.matrix_id):
                self._queued.add(pseudonym)
                self._workers.submit_job(room_id, partial(self._introduce, pseudonym, due))

    async def _introduce(self, pseudonym: str, due: dict[str, object]) -> None:
        tries = int(str(due.get("tries", 0))) + 1
        if tries > MAX_TRIES:
            self._vault.delete(_KIND, pseudonym, _KEY)
            logs.warning("introduction_given_up", participant=pseudonym)
            return
        # Counted before the try: a try that fails, or never ends, counts.
        self._vault.put(
            _KIND, pseudonym, _KEY, {**due, "tries": tries, "next_try": time.time() + RETRY_SECONDS}
        )
        try:
            participant = self._registry.get(pseudonym)
            if participant is None or participant.room_id is None:
                return
            state, _ = self._checkins.get(pseudonym)
            if state.last_message_at is None and participant.consent_version is None:
                replies = await open_in_dialogue(
                    self._config, self._rasa, self._validate, participant, GREET, time.time()
                )
                if replies is None:
                    return  # Rasa could not answer: the next poll tries again
                expected = participant.room_members(self._config.matrix.bot_user_id)
                # As one message, under its own transaction ids: an introduction cut
                # off part-way by an older version (one message per reply) is sent
                # again whole rather than deduplicated into its first reply.
                for index, message in enumerate(pack(replies, MAX_REPLY_CHARS)):
                    await self._sender.notice(
                        participant.room_id,
                        message,
                        transaction_id(f"introduction {pseudonym} {due['at']} whole", index),
                        expected,
                    )
                logs.event("participant_introduced", participant=pseudonym)
            # Either introduced now, or they spoke first and the dialogue answered them.
            self._vault.delete(_KIND, pseudonym, _KEY)
        finally:
            self._queued.discard(pseudonym)
