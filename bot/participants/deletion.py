"""A participant's confirmed request to delete their data, and `samtal forget`.

The bot redacts what it said in the participant's room, leaves it, and then
crypto-shreds: the participant's data key is destroyed, so every record about
them (profile, turns, escalations, consent history, Rasa tracker) becomes
unreadable, backups included. The audit trail keeps only that it happened.
What the homeserver and the participant's own devices hold is outside reach;
docs/privacy.md says so.
"""

from __future__ import annotations

from nio import AsyncClient, RoomMessagesResponse

from bot import logs
from bot.participants.accountability import Accountability
from bot.transports.matrix.calls import checked
from bot.transports.matrix.room_keys import drop_room_keys
from safety.errors import StoreError
from safety.participant_data import forget
from safety.vault import Vault
from safety.vault.store import SYSTEM_OWNER

MAX_PAGES = 50


class Deletion:
    def __init__(self, client: AsyncClient, vault: Vault, accountability: Accountability) -> None:
        self._client = client
        self._vault = vault
        self._accountability = accountability

    def request(self, participant: str, actor: str, reason: str) -> None:
        """Record that the deletion must happen, before anyone is told it will: the
        gateway's forget loop carries it out, after a crash too."""
        ForgetRequests(self._vault).submit(participant, actor, reason)

    async def redact_own_messages(self, room_id: str) -> int:
        """Redact every event the bot sent in ``room_id``; return how many."""
        redacted = 0
        token: str | None = None
        for _ in range(MAX_PAGES):
            page = checked(
                "room_messages",
                await self._client.room_messages(room_id, start=token, limit=100),
            )
            assert isinstance(page, RoomMessagesResponse)
            for event in page.chunk:
                if getattr(event, "sender", None) == self._client.user_id:
                    checked("room_redact", await self._client.room_redact(room_id, event.event_id))
                    redacted += 1
            if not page.chunk or page.end is None or page.end == token:
                break
            token = page.end
        return redacted

    async def forget(
        self,
        participant: str,
        room_id: str | None,
        *,
        actor: str,
        reason: str,
        action: str = "deletion",
    ) -> None:
        if room_id is not None and room_id in self._client.rooms:
            try:
                redacted = await self.redact_own_messages(room_id)
                checked("room_leave", await self._client.room_leave(room_id))
                keys = drop_room_keys(self._client, room_id)
                logs.event(
                    "participant_room_cleared",
                    participant=participant,
                    redacted=redacted,
                    room_keys_dropped=keys,
                )
            except Exception as exc:
                # The shred below still happens: the vault is what samtal controls.
                logs.warning("room_clear_failed", participant=participant, error=type(exc).__name__)
        forget(
            self._vault,
            self._accountability.audit,
            participant,
            actor=actor,
            reason=reason,
            action=action,
        )
        logs.event("participant_forgotten", participant=participant)


class ForgetRequests:
    """Deletions asked for from the command line while the gateway runs.

    The gateway holds data keys in memory and the participant's room open, so
    it carries out the deletion itself: the command leaves a request in the
    vault and waits for the gateway to mark it done.
    """

    _KIND = "forget_request"

    def __init__(self, vault: Vault) -> None:
        self._vault = vault

    def submit(self, participant: str, actor: str, reason: str) -> None:
        record = {"participant": participant, "actor": actor, "reason": reason}
        self._vault.put(self._KIND, SYSTEM_OWNER, participant, record)

    def pending(self) -> list[dict[str, str]]:
        """Every readable request. One that fails authentication is reported and
        left in place; it must not stop the others from being carried out."""

        def report(exc: StoreError) -> None:
            logs.warning("forget_request_unreadable", error=type(exc).__name__)

        found = self._vault.items(self._KIND, SYSTEM_OWNER, unreadable=report)
        return [dict(record) for _, record in found]

    def is_pending(self, participant: str) -> bool:
        return self._vault.get(self._KIND, SYSTEM_OWNER, participant) is not None

    def done(self, participant: str) -> None:
        self._vault.delete(self._KIND, SYSTEM_OWNER, participant)

    def failed(self, participant: str) -> None:
        """Keep the request (it is tried again) and let whoever waits see it failed."""
        record = self._vault.get(self._KIND, SYSTEM_OWNER, participant)
        if record is not None and not record.get("failed"):
            self._vault.put(self._KIND, SYSTEM_OWNER, participant, {**record, "failed": True})

    def has_failed(self, participant: str) -> bool:
        record = self._vault.get(self._KIND, SYSTEM_OWNER, participant)
        return bool(record is not None and record.get("failed"))
