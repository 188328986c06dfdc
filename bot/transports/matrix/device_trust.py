"""Applies the device-trust policy (bot.core.device_trust) to nio's device store.

nio shares room keys with verified devices, withholds them from blacklisted
ones and refuses to send while any device is neither: so "withheld" here is
nio's blacklist, kept until staff confirm the device. Cross-signing keys are
fetched raw, because nio's key query drops them.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from nio import AsyncClient
from nio.crypto import OlmDevice

from bot import logs
from bot.core.cross_signing import Identity, identity_from_query
from bot.core.device_trust import (
    FIRST_USE_SETUP_SECONDS,
    Confirmation,
    Device,
    DeviceReport,
    Origin,
    Pin,
    Role,
    State,
    confirm_code,
    decide,
)
from bot.errors import MatrixCallError
from bot.state.key_pins import KeyPins
from bot.transports.matrix.calls import checked
from bot.transports.matrix.keys_api import KeysApi

# How long a user's published identity is taken as current. A new device is
# always looked up at once; this bounds how late a changed master key, or a
# withheld device its owner has signed since, is noticed.
REFRESH_SECONDS = 60.0


class DeviceTrust:
    def __init__(self, client: AsyncClient, pins: KeyPins, staff: frozenset[str]) -> None:
        self._client = client
        self._api = KeysApi(client)
        self._pins = pins
        self._staff = staff
        self._identities: dict[str, tuple[float, Identity | None]] = {}
        # When each account's first devices were trusted on first use, in this
        # process only: after a restart, an identity appearing goes to staff.
        self._first_use_at: dict[str, float] = {}
        # The bot's own master key, once its identity is in place; until then
        # no other device of the bot's account is trusted.
        self.own_master: str | None = None
        # What staff must hear about; the gateway posts these to the staff room.
        self.reports: list[DeviceReport] = []

    def _role(self, user_id: str) -> Role:
        if user_id == self._client.user_id:
            return Role.OWN
        return Role.STAFF if user_id in self._staff else Role.MEMBER

    def _devices(self, user_id: str) -> list[OlmDevice]:
        return [
            device
            for device in self._client.device_store.active_user_devices(user_id)
            if device.id != self._client.device_id
        ]

    async def refresh(self, user_ids: Iterable[str]) -> None:
        """Fetch the identities a decision is about to need."""
        now = time.monotonic()
        stale = []
        for user_id in user_ids:
            cached = self._identities.get(user_id)
            undecided = any(_state(d) is State.UNKNOWN for d in self._devices(user_id))
            if cached is None or undecided or now - cached[0] > REFRESH_SECONDS:
                stale.append(user_id)
        if not stale:
            return
        response = await self._api.query(stale)
        answered = response.get("device_keys") or {}
        for user_id in stale:
            # A user whose homeserver did not answer keeps what was known: no
            # answer is not the same as an account without cross-signing.
            if user_id in answered:
                self._identities[user_id] = (now, identity_from_query(response, user_id))

    def apply(self, user_ids: Iterable[str]) -> None:
        for user_id in user_ids:
            self._apply_one(user_id)

    def _apply_one(self, user_id: str) -> None:
        role = self._role(user_id)
        devices = {device.id: device for device in self._devices(user_id)}
        views = [Device(d.id, d.ed25519, _state(d)) for d in devices.values()]
        if role is Role.OWN:
            pin = Pin(self.own_master) if self.own_master else None
        else:
            pin = self._pins.get(user_id)
        known = self._identities.get(user_id)
        identity = known[1] if known is not None else None
        if known is None and pin is not None:
            # Never looked up here: take the pinned identity as unchanged, vouching
            # for no device, rather than as dropped.
            identity = Identity(user_id, pin.master, None, {})
        first_use_at = self._first_use_at.get(user_id)
        within_first_use = (
            first_use_at is not None and time.monotonic() - first_use_at <= FIRST_USE_SETUP_SECONDS
        )
        decision = decide(role, views, identity, pin, within_first_use=within_first_use)
        if decision.trust and not any(view.state is State.TRUSTED for view in views):
            self._first_use_at.setdefault(user_id, time.monotonic())
        if decision.pin is not None:
            self._pins.save(user_id, decision.pin)
            logs.event(
                "master_key_pinned", role=role.value, pending=decision.pin.pending is not None
            )
        for device_id in decision.trust:
            device = devices[device_id]
            if device.blacklisted:
                self._client.unblacklist_device(device)
            self._client.verify_device(device)
            signed = identity is not None and device_id in identity.signed_devices
            logs.event("device_trusted", role=role.value, basis="owner" if signed else "first_use")
        for device_id in decision.withhold:
            self._client.blacklist_device(devices[device_id])
            logs.warning("device_withheld", role=role.value)
        for report in decision.reports:
            code = confirm_code(user_id, report.subject)
            self.reports.append(DeviceReport(user_id, role, report.reason, report.withheld, code))

    async def origin(self, user_id: str, device_key: str | None) -> Origin:
        """Whether an event of ``user_id``'s came from a device the bot trusts.

        A device the bot has not decided on yet (a staff member's new login,
        say) is looked up and decided on here, as it would be before the bot's
        next message to them. If the homeserver cannot be asked, what is known
        already decides."""
        if device_key is None:
            return Origin.IN_CLEAR
        device = self._device_with_key(user_id, device_key)
        if device is None or _state(device) is State.UNKNOWN:
            await self._decide_now(user_id)
            device = self._device_with_key(user_id, device_key)
        if device is None:
            return Origin.UNKNOWN_DEVICE
        return {
            State.TRUSTED: Origin.TRUSTED_DEVICE,
            State.WITHHELD: Origin.WITHHELD_DEVICE,
            State.UNKNOWN: Origin.UNKNOWN_DEVICE,
        }[_state(device)]

    async def vouches_for_account(self, user_id: str) -> bool:
        """Every device of the account the bot knows of is trusted: an event sent in
        the clear, which names no device, then came from the account's owner as far
        as the bot can tell."""
        await self._decide_now(user_id)
        devices = self._devices(user_id)
        return bool(devices) and all(_state(d) is State.TRUSTED for d in devices)

    async def _decide_now(self, user_id: str) -> None:
        """Look the user's devices and identity up and decide on them, as before the
        bot's next message to them; if the homeserver cannot be asked, decide on
        what is known."""
        try:
            if self._client.should_query_keys:
                checked("keys_query", await self._client.keys_query())
            await self.refresh([user_id])
        except (MatrixCallError, OSError, TimeoutError) as exc:
            logs.warning("device_lookup_failed", error=type(exc).__name__)
        self.apply([user_id])

    def _device_with_key(self, user_id: str, curve25519: str) -> OlmDevice | None:
        for device in self._devices(user_id):
            if device.curve25519 == curve25519:
                return device
        return None

    def confirm(self, code: str, by: str) -> Confirmation:
        """Trust what ``code`` names, a withheld device or a new master key, on the
        word of staff member ``by``. Nobody confirms their own account: whoever
        holds a new device could otherwise vouch for it from that very device."""
        for device in self._client.device_store:
            if device.blacklisted and confirm_code(device.user_id, device.id) == code:
                if device.user_id == by:
                    return Confirmation.NOT_BY_OWNER
                self._client.unblacklist_device(device)
                self._client.verify_device(device)
                logs.event("device_confirmed", role=self._role(device.user_id).value)
                return Confirmation.CONFIRMED
        for user_id, pin in self._pins.pending():
            if pin.pending is not None and confirm_code(user_id, pin.pending) == code:
                if user_id == by:
                    return Confirmation.NOT_BY_OWNER
                if pin.pending:
                    self._pins.save(user_id, Pin(pin.pending))
                else:
                    self._pins.forget(user_id)
                self._identities.pop(user_id, None)
                logs.event("master_key_confirmed", role=self._role(user_id).value)
                return Confirmation.CONFIRMED
        return Confirmation.NOTHING_WAITING


def _state(device: OlmDevice) -> State:
    if device.blacklisted:
        return State.WITHHELD
    return State.TRUSTED if device.verified else State.UNKNOWN
