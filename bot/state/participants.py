"""Enrolled participants, kept as encrypted records in the vault.

The vault key of a participant is their pseudonym, so looking someone up by
Matrix id needs the pseudonym key but never stores the Matrix id in the clear.

A forgotten participant's data key is destroyed for good, and their old
pseudonym with it. Someone who comes back and is enrolled again gets a new
pseudonym (the next generation of the same Matrix id), so nothing of the old
one can ever be joined to the new.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

from bot.core.model import Participant
from bot.ids import MatrixUserId, ParticipantId, RoomId, participant_code, pseudonym
from safety.errors import ShreddedError
from safety.vault import Vault
from safety.vault.store import SYSTEM_OWNER

_KIND = "participant"
_KEY = "profile"
_GENERATION = "pseudonym_generation"
TRANSPORT = "matrix"


class ParticipantRegistry:
    def __init__(self, vault: Vault) -> None:
        self._vault = vault
        self._pseudonym_key = vault.derived_key("samtal:pseudonym:v1")

    def pseudonym_of(self, matrix_id: str) -> ParticipantId:
        first = pseudonym(self._pseudonym_key, TRANSPORT, matrix_id)
        generation = self._generation(first)
        if generation == 0:
            return first
        return pseudonym(self._pseudonym_key, TRANSPORT, f"{matrix_id}\0{generation}")

    def _generation(self, first: ParticipantId) -> int:
        # Read each time: `samtal enroll` may run beside the gateway.
        record = self._vault.get(_GENERATION, SYSTEM_OWNER, first)
        return int(record["generation"]) if record else 0

    def _next_generation(self, matrix_id: str) -> None:
        first = pseudonym(self._pseudonym_key, TRANSPORT, matrix_id)
        record = {"generation": self._generation(first) + 1}
        self._vault.put(_GENERATION, SYSTEM_OWNER, first, record)

    def find(self, matrix_id: str) -> Participant | None:
        record = self._vault.get(_KIND, self.pseudonym_of(matrix_id), _KEY)
        return None if record is None else _from_record(record)

    def enroll(
        self, matrix_id: str, language: str, mediator: str | None, schedule: str | None = None
    ) -> Participant:
        """Enrol or update someone; consent already on record is kept."""
        existing = self.find(matrix_id)
        if existing is None and self._vault.is_shredded(self.pseudonym_of(matrix_id)):
            self._next_generation(matrix_id)  # back after being forgotten
        if existing is not None:
            updated = dataclasses.replace(
                existing, language=language, mediator=mediator, schedule=schedule
            )
        else:
            updated = Participant(
                pseudonym=self.pseudonym_of(matrix_id),
                matrix_id=MatrixUserId(matrix_id),
                language=language,
                mediator=mediator,
                enrolled_at=time.time(),
                schedule=schedule,
            )
        self.save(updated)
        return updated

    def save(self, participant: Participant) -> None:
        self._vault.put(_KIND, participant.pseudonym, _KEY, dataclasses.asdict(participant))

    def get(self, pseudonym_: str) -> Participant | None:
        record = self._vault.get(_KIND, pseudonym_, _KEY)
        return None if record is None else _from_record(record)

    def by_code(self, code: str) -> Participant | None:
        """The participant a staff code names. The code is derived from the pseudonym,
        which is the record's owner: found without decrypting anyone else's record."""
        wanted = code.strip().upper()
        for owner in self._vault.owners(_KIND):
            if participant_code(ParticipantId(owner)) != wanted:
                continue
            try:
                found = self.get(owner)
            except ShreddedError:
                continue  # forgotten: their code names nobody any more
            if found is not None:
                return found
        return None

    def all(self) -> list[Participant]:
        return [_from_record(record) for _, record in self._vault.items(_KIND)]


def _from_record(record: dict[str, Any]) -> Participant:
    room = record.get("room_id")
    return Participant(
        pseudonym=ParticipantId(record["pseudonym"]),
        matrix_id=MatrixUserId(record["matrix_id"]),
        language=record["language"],
        mediator=record.get("mediator"),
        room_id=RoomId(room) if room else None,
        consent_version=record.get("consent_version"),
        consent_at=record.get("consent_at"),
        paused=bool(record.get("paused", False)),
        enrolled_at=float(record.get("enrolled_at", 0.0)),
        handoff_by=record.get("handoff_by"),
        left_at=record.get("left_at"),
        schedule=record.get("schedule"),
    )
