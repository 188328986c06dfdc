"""The bot's Matrix account, assembled: its nio client with the sealed crypto store,
device trust, the sender, the transport over them, and what each sync delivers.

The gateway builds one and asks it for batches; nothing outside this folder holds
the nio client.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from nio import AsyncClient

from bot.config import GatewayConfig
from bot.core.cross_signing import public_key
from bot.core.model import Inbound, Lost, Reaction
from bot.state.gateway_state import GatewayState
from bot.state.key_pins import KeyPins
from bot.state.participants import ParticipantRegistry
from bot.transports.matrix.backfill import Backfill
from bot.transports.matrix.device_trust import DeviceTrust
from bot.transports.matrix.identity import ensure_identity
from bot.transports.matrix.intake import Intake, Invite
from bot.transports.matrix.invites import InviteHandler
from bot.transports.matrix.keys_api import KeysApi
from bot.transports.matrix.sealed_store import SealedSnapshots, snapshot
from bot.transports.matrix.sender import Sender
from bot.transports.matrix.session import bot_password, login, new_client
from bot.transports.matrix.sync_loop import SyncLoop
from bot.transports.matrix.transport import MatrixTransport
from bot.transports.matrix.undecryptable import UndecryptableQueue
from bot.transports.port import Outbox
from safety.vault import Vault


@dataclass
class Delivery:
    """What one sync brought, in the pipeline's terms."""

    invites: list[Invite] = field(default_factory=list)
    messages: list[Inbound] = field(default_factory=list)
    reactions: list[Reaction] = field(default_factory=list)
    lost: list[Lost] = field(default_factory=list)  # never decrypted: ask to resend
    # Messages that decrypted late: their kept ciphertext goes once the batch is handled.
    decrypted_late: list[str] = field(default_factory=list)


class MatrixConnection:
    def __init__(
        self,
        config: GatewayConfig,
        vault: Vault,
        registry: ParticipantRegistry,
        state: GatewayState,
    ) -> None:
        self._config = config
        self._state = state
        self.crypto_snapshots = SealedSnapshots(
            config.nio_store_dir / "bot-crypto.sealed",
            vault.derived_key("samtal:nio-store:v1"),
        )
        self.client: AsyncClient = new_client(config, self.crypto_snapshots)
        self.trust = DeviceTrust(self.client, KeyPins(vault, registry), config.staff)
        self.sender = Sender(self.client, self.trust, after_key_share=self.seal)
        self.transport = MatrixTransport(self.client, self.sender)
        self.intake = Intake(self.client, config.matrix.bot_user_id)
        self.undecryptable = UndecryptableQueue(self.client, vault)
        self._registry = registry

    def invites(
        self, outbox: Outbox, pages_first: Callable[[], Awaitable[bool]] | None = None
    ) -> InviteHandler:
        return InviteHandler(
            self.client,
            self._config,
            self._registry,
            outbox,
            share_key_ahead=self.sender.share_room_key_ahead,
            pages_first=pages_first,
        )

    def sync_loop(self, handle_batch: Callable[[], Awaitable[None]]) -> SyncLoop:
        return SyncLoop(
            self.client,
            self._state,
            handle_batch,
            backfill=Backfill(self.client, self._state, self.intake),
            before_position_saved=self.seal,
        )

    @property
    def room_count(self) -> int:
        return len(self.client.rooms)

    async def collect(self) -> Delivery:
        """Take what the last sync delivered, with the messages that decrypted since."""
        batch = self.intake.batch
        for event in list(batch.undecryptable):
            await self.undecryptable.add(event)
        batch.undecryptable.clear()
        retried = self.undecryptable.retry()
        for room_id, decrypted in retried.ready:
            room = self.client.rooms.get(room_id)
            if room is not None:
                self.intake.take(room, decrypted)
        delivery = Delivery(
            invites=list(batch.invites.values()),
            messages=list(batch.messages),
            reactions=list(batch.reactions),
            lost=list(retried.lost),
            decrypted_late=[event.event_id for _, event in retried.ready],
        )
        batch.clear()
        return delivery

    def handled(self, delivery: Delivery) -> None:
        """The batch is handled: late-decrypted messages' ciphertext can go."""
        self.undecryptable.taken(delivery.decrypted_late)

    async def log_in(self) -> None:
        await login(self.client, self._config, self._state)

    async def ensure_identity(self) -> None:
        """Cross-sign this device, so Element clients see it verified by its owner."""
        seeds = await ensure_identity(
            self.client, KeysApi(self.client), self._state, lambda: bot_password(self._config)
        )
        self.trust.own_master = None if seeds is None else public_key(seeds.master)

    def seal(self) -> None:
        if self.client.store is not None:
            snapshot(self.client.store, self.crypto_snapshots)

    async def close(self) -> None:
        self.seal()
        await self.client.close()
