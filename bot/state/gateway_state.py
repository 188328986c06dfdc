"""The gateway's own state: sync position, last handled event per room, login and
identity, sealed in the vault."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.cross_signing import Seeds
from safety.vault import Vault
from safety.vault.store import SYSTEM_OWNER


@dataclass(frozen=True)
class Login:
    user_id: str
    device_id: str
    access_token: str


class GatewayState:
    def __init__(self, vault: Vault) -> None:
        self._vault = vault

    def sync_token(self) -> str | None:
        record = self._vault.get("sync", SYSTEM_OWNER, "next_batch")
        return None if record is None else str(record["token"])

    def save_sync_token(self, token: str) -> None:
        self._vault.put("sync", SYSTEM_OWNER, "next_batch", {"token": token})

    def room_marker(self, room_id: str) -> str | None:
        """The id of the newest event of ``room_id`` the gateway has handled."""
        record = self._vault.get("sync", SYSTEM_OWNER, f"room {room_id}")
        return None if record is None else str(record["event_id"])

    def save_room_marker(self, room_id: str, event_id: str) -> None:
        self._vault.put("sync", SYSTEM_OWNER, f"room {room_id}", {"event_id": event_id})

    def forget_room_marker(self, room_id: str) -> None:
        self._vault.delete("sync", SYSTEM_OWNER, f"room {room_id}")

    def alive_at(self) -> float | None:
        """When the gateway last said it was running (every few seconds, and at a
        clean stop)."""
        record = self._vault.get("sync", SYSTEM_OWNER, "alive_at")
        return None if record is None else float(record["at"])

    def save_alive_at(self, moment: float) -> None:
        self._vault.put("sync", SYSTEM_OWNER, "alive_at", {"at": moment})

    def login(self) -> Login | None:
        record = self._vault.get("login", SYSTEM_OWNER, "bot")
        return None if record is None else Login(**record)

    def save_login(self, login: Login) -> None:
        self._vault.put(
            "login",
            SYSTEM_OWNER,
            "bot",
            {
                "user_id": login.user_id,
                "device_id": login.device_id,
                "access_token": login.access_token,
            },
        )

    def cross_signing_seeds(self) -> Seeds | None:
        record = self._vault.get("cross_signing", SYSTEM_OWNER, "bot")
        return None if record is None else Seeds.from_record(record)

    def save_cross_signing_seeds(self, seeds: Seeds) -> None:
        self._vault.put("cross_signing", SYSTEM_OWNER, "bot", seeds.to_record())
