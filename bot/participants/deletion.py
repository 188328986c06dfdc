"""A participant's confirmed request to delete their data, and `samtal forget`.

The bot deletes what it said in the participant's chat (as far as the messenger
allows), leaves it, and then
crypto-shreds: the participant's data key is destroyed, so every record about
them (profile, turns, escalations, consent history, Rasa tracker) becomes
unreadable, backups included. The audit trail keeps only that it happened.
What the homeserver and the participant's own devices hold is outside reach;
docs/privacy.md says so.
"""

from __future__ import annotations

from bot import logs
from bot.core.texts import FALLBACK_LANGUAGE, text
from bot.core.transport_names import transport_of
from bot.participants.accountability import Accountability
from bot.transports.idempotency import transaction_id
from bot.transports.port import Transport
from safety.errors import StoreError
from safety.participant_data import forget
from safety.vault import Vault
from safety.vault.store import SYSTEM_OWNER


class Deletion:
    def __init__(self, transport: Transport, vault: Vault, accountability: Accountability) -> None:
        self._transport = transport
        self._vault = vault
        self._accountability = accountability

    def request(self, participant: str, actor: str, reason: str) -> None:
        """Record that the deletion must happen, before anyone is told it will: the
        gateway's forget loop carries it out, after a crash too."""
        ForgetRequests(self._vault).submit(participant, actor, reason)

    async def forget(
        self,
        participant: str,
        room_id: str | None,
        *,
        actor: str,
        reason: str,
        action: str = "deletion",
        language: str = FALLBACK_LANGUAGE,
    ) -> None:
        if room_id is not None and self._transport.knows(room_id):
            try:
                cleared = await self._transport.forget_conversation(room_id)
                if transport_of(room_id) == "telegram":
                    await self._farewell(room_id, participant, language)
                logs.event(
                    "participant_room_cleared",
                    participant=participant,
                    redacted=cleared.deleted,
                    kept=cleared.kept,
                    room_keys_dropped=cleared.room_keys,
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

    async def _farewell(self, conversation: str, participant: str, language: str) -> None:
        """On Telegram the chat outlives the deletion, and so do messages the bot may
        not delete: the participant is told what stays and how to remove it."""
        await self._transport.notice(
            conversation,
            text("deleted_on_telegram", language),
            transaction_id(f"farewell {participant}", 0),
            frozenset({conversation}),
        )


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
