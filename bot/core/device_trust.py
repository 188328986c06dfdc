"""Which devices get room keys: cross-signing where a user has it, first use where not.

A user with cross-signing vouches for their own devices. Their master key is
pinned the first time it is seen; after that, a device signed under the pinned
key is trusted, and a device without that signature, or a master key that
changed, is withheld and put before staff. Without cross-signing, devices are
trusted when first seen, as before. Two accounts get no first-use trust for
later devices: the bot's own (only the bot signs its devices, so anything else
there is someone else) and staff accounts (their rooms carry every page).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum

from bot.core.cross_signing import Identity

# How long after an account's first devices are trusted on first use an identity
# that signs exactly those devices still counts as part of that first use.
FIRST_USE_SETUP_SECONDS = 600.0


class Role(Enum):
    OWN = "own"
    STAFF = "staff"
    MEMBER = "member"


class State(Enum):
    TRUSTED = "trusted"
    WITHHELD = "withheld"
    UNKNOWN = "unknown"


class Reason(Enum):
    # A device added after the first, trusted on first use and reported.
    ADDED_DEVICE = "added_device"
    # A device its owner did not sign (or on an account where nothing is
    # trusted on first use): withheld until staff confirm it.
    UNSIGNED_DEVICE = "unsigned_device"
    # The master key changed, or cross-signing was removed: the new identity's
    # devices are withheld until staff confirm it.
    NEW_MASTER = "new_master"


@dataclass(frozen=True)
class Device:
    device_id: str
    ed25519: str
    state: State


@dataclass(frozen=True)
class Pin:
    """The master key trusted for a user, and a different one awaiting staff.

    ``pending`` is the empty string when the user dropped cross-signing.
    """

    master: str
    pending: str | None = None


@dataclass(frozen=True)
class Report:
    reason: Reason
    withheld: bool
    subject: str  # the device id, or the new master key


@dataclass(frozen=True)
class Decision:
    trust: tuple[str, ...] = ()
    withhold: tuple[str, ...] = ()
    pin: Pin | None = None  # the pin to store; None leaves it as it is
    reports: tuple[Report, ...] = ()


def _completes_first_use(devices: Sequence[Device], identity: Identity) -> bool:
    """The identity vouches for exactly the devices already trusted, nothing else is
    on the account, and one of those trusted devices signed the master key: the
    same first use, finished by its owner's client. (A device's public key is no
    secret, so anyone could make an identity that signs it; only the device can
    sign the identity back.)"""
    vouches = bool(devices) and all(
        device.state is State.TRUSTED
        and identity.signed_devices.get(device.device_id) == device.ed25519
        for device in devices
    )
    signed_back = any(
        identity.master_signed_by.get(device.device_id) == device.ed25519 for device in devices
    )
    return vouches and signed_back


def decide(
    role: Role,
    devices: Sequence[Device],
    identity: Identity | None,
    pin: Pin | None,
    *,
    within_first_use: bool = False,
) -> Decision:
    """What to do with one user's devices. For the bot's own account, ``pin``
    is the bot's own master key, never a key learned from the homeserver.

    ``within_first_use`` says the account's first devices were trusted on first
    use moments ago (FIRST_USE_SETUP_SECONDS): Element sets up cross-signing
    seconds after a first login, and the bot may have seen the device in between.
    """
    master = identity.master if identity is not None else None
    new_pin: Pin | None = None
    reports: list[Report] = []
    current = pin
    trusted_before = any(device.state is State.TRUSTED for device in devices)
    if role is not Role.OWN:
        if (
            pin is None
            and identity is not None
            and within_first_use
            and _completes_first_use(devices, identity)
        ):
            current = new_pin = Pin(identity.master)  # still the first use
        elif pin is None and master is not None and trusted_before:
            # An account the bot already trusted devices of gains an identity: its
            # owner setting up cross-signing, or someone with the password doing so
            # to vouch for their own device. Staff decide, as for a new master key.
            current = new_pin = Pin("", master)
            reports.append(Report(Reason.NEW_MASTER, True, master))
        elif pin is None and master is not None:
            current = new_pin = Pin(master)  # first use
        elif pin is not None and master != pin.master and (master or "") != pin.pending:
            current = new_pin = Pin(pin.master, master or "")
            reports.append(Report(Reason.NEW_MASTER, True, master or ""))
    vouched: Mapping[str, str] = {}
    awaiting: Mapping[str, str] = {}  # signed under a new master key staff have yet to confirm
    if identity is not None and current is not None:
        if identity.master == current.master:
            vouched = identity.signed_devices
        elif identity.master == current.pending:
            awaiting = identity.signed_devices
    trust: list[str] = []
    withhold: list[str] = []
    for device in devices:
        if device.state is State.TRUSTED:
            continue
        if vouched.get(device.device_id) == device.ed25519:
            trust.append(device.device_id)  # signed by its owner, even if withheld before
        elif device.state is State.WITHHELD:
            continue
        elif current is not None or role is Role.OWN or (role is Role.STAFF and trusted_before):
            withhold.append(device.device_id)
            # Confirming the new master key trusts this device too: one question, not two.
            if awaiting.get(device.device_id) != device.ed25519:
                reports.append(Report(Reason.UNSIGNED_DEVICE, True, device.device_id))
        else:
            trust.append(device.device_id)
            if trusted_before:
                reports.append(Report(Reason.ADDED_DEVICE, False, device.device_id))
    return Decision(tuple(trust), tuple(withhold), new_pin, tuple(reports))


def confirm_code(user_id: str, subject: str) -> str:
    """The short code staff type to confirm a withheld device or a new master key."""
    digest = hashlib.sha256(f"{user_id}\0{subject}".encode()).digest()
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "K-" + "".join(alphabet[b % len(alphabet)] for b in digest[:6])


class Origin(Enum):
    """Which device an event came from, as far as the bot trusts it."""

    TRUSTED_DEVICE = "trusted_device"
    WITHHELD_DEVICE = "withheld_device"
    UNKNOWN_DEVICE = "unknown_device"
    IN_CLEAR = "in_clear"


class Confirmation(Enum):
    CONFIRMED = "confirmed"
    NOT_BY_OWNER = "not_by_owner"
    NOTHING_WAITING = "nothing_waiting"


@dataclass(frozen=True)
class DeviceReport:
    user_id: str
    role: Role
    reason: Reason
    withheld: bool
    code: str
