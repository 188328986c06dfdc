"""Cross-signing, without I/O: canonical JSON, Ed25519 signatures, request bodies.

A Matrix identity is three Ed25519 keys. The master key is the identity; it
signs the self-signing key, which signs the account's devices, and the
user-signing key, which signs other people's master keys. A client shows a
device as "verified by its owner" when the device carries a valid signature
of the owner's self-signing key, and that key one of the master key.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

SEED_BYTES = 32
MASTER = "master"
SELF_SIGNING = "self_signing"
USER_SIGNING = "user_signing"


class NotCanonical(ValueError):
    """The object holds something canonical JSON cannot carry (a float)."""


def canonical_json(value: object) -> bytes:
    """The spec's canonical JSON: sorted keys, no spaces, UTF-8, integers only."""
    _reject_floats(value)
    return json.dumps(
        value, ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False
    ).encode("utf-8")


def _reject_floats(value: object) -> None:
    if isinstance(value, float):
        raise NotCanonical("canonical JSON carries integers only")
    if isinstance(value, Mapping):
        for item in value.values():
            _reject_floats(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _reject_floats(item)


def unpadded_b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode().rstrip("=")


def from_unpadded_b64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


def signable(obj: Mapping[str, Any]) -> dict[str, Any]:
    """What a signature covers: the object without ``signatures`` and ``unsigned``."""
    return {k: v for k, v in obj.items() if k not in ("signatures", "unsigned")}


def public_key(seed: bytes) -> str:
    raw = Ed25519PrivateKey.from_private_bytes(seed).public_key()
    return unpadded_b64(raw.public_bytes(Encoding.Raw, PublicFormat.Raw))


def sign(obj: Mapping[str, Any], seed: bytes) -> str:
    private = Ed25519PrivateKey.from_private_bytes(seed)
    return unpadded_b64(private.sign(canonical_json(signable(obj))))


def with_signature(obj: Mapping[str, Any], user_id: str, seed: bytes) -> dict[str, Any]:
    """A copy of ``obj`` carrying its earlier signatures plus one by ``seed``."""
    signed = dict(obj)
    signatures = {u: dict(s) for u, s in dict(obj.get("signatures") or {}).items()}
    signatures.setdefault(user_id, {})[f"ed25519:{public_key(seed)}"] = sign(obj, seed)
    signed["signatures"] = signatures
    return signed


def verify(
    obj: Mapping[str, Any] | None, user_id: str, key: str, key_id: str | None = None
) -> bool:
    """Whether ``obj`` carries a valid signature of ``user_id``'s Ed25519 ``key``,
    listed under ``ed25519:<key_id>`` (a device signs under its device id, a
    cross-signing key under itself).

    Anything malformed (missing signature, bad base64, a float) counts as unsigned.
    """
    if not isinstance(obj, Mapping):
        return False
    try:
        signature = obj["signatures"][user_id][f"ed25519:{key_id or key}"]
        verifier = Ed25519PublicKey.from_public_bytes(from_unpadded_b64(key))
        verifier.verify(from_unpadded_b64(signature), canonical_json(signable(obj)))
    except (KeyError, TypeError, ValueError, binascii.Error, InvalidSignature):
        return False
    return True


@dataclass(frozen=True)
class Seeds:
    """The private halves of an identity. Kept sealed; never logged."""

    master: bytes = field(repr=False)
    self_signing: bytes = field(repr=False)
    user_signing: bytes = field(repr=False)

    @classmethod
    def generate(cls) -> Seeds:
        return cls(*(secrets.token_bytes(SEED_BYTES) for _ in range(3)))

    def to_record(self) -> dict[str, str]:
        return {
            MASTER: unpadded_b64(self.master),
            SELF_SIGNING: unpadded_b64(self.self_signing),
            USER_SIGNING: unpadded_b64(self.user_signing),
        }

    @classmethod
    def from_record(cls, record: Mapping[str, str]) -> Seeds:
        seeds = cls(
            from_unpadded_b64(record[MASTER]),
            from_unpadded_b64(record[SELF_SIGNING]),
            from_unpadded_b64(record[USER_SIGNING]),
        )
        if any(
            len(s) != SEED_BYTES for s in (seeds.master, seeds.self_signing, seeds.user_signing)
        ):
            raise ValueError("a cross-signing seed has the wrong length")
        return seeds


def cross_signing_key(user_id: str, usage: str, key: str) -> dict[str, Any]:
    return {"user_id": user_id, "usage": [usage], "keys": {f"ed25519:{key}": key}}


def device_signing_upload(user_id: str, seeds: Seeds) -> dict[str, Any]:
    """The body of ``POST /keys/device_signing/upload`` (without ``auth``)."""
    master = cross_signing_key(user_id, MASTER, public_key(seeds.master))
    self_signing = cross_signing_key(user_id, SELF_SIGNING, public_key(seeds.self_signing))
    user_signing = cross_signing_key(user_id, USER_SIGNING, public_key(seeds.user_signing))
    return {
        "master_key": master,
        "self_signing_key": with_signature(self_signing, user_id, seeds.master),
        "user_signing_key": with_signature(user_signing, user_id, seeds.master),
    }


def device_signature_upload(
    user_id: str, device_keys: Mapping[str, Any], self_signing_seed: bytes
) -> dict[str, Any]:
    """The body of ``POST /keys/signatures/upload`` signing one of our own devices.

    ``device_keys`` is the device's object as the homeserver returned it; the
    server checks that the signed copy matches what it stores.
    """
    device_id = str(device_keys["device_id"])
    return {user_id: {device_id: with_signature(device_keys, user_id, self_signing_seed)}}


def single_key(obj: Mapping[str, Any] | None, user_id: str, usage: str) -> str | None:
    """The one Ed25519 key of a cross-signing key object, if it is well formed."""
    if not isinstance(obj, Mapping) or obj.get("user_id") != user_id:
        return None
    if usage not in (obj.get("usage") or []):
        return None
    keys = obj.get("keys")
    if not isinstance(keys, Mapping) or len(keys) != 1:
        return None
    ((key_id, key),) = keys.items()
    return key if isinstance(key, str) and key_id == f"ed25519:{key}" else None


@dataclass(frozen=True)
class Identity:
    """A user's cross-signing identity as the homeserver publishes it.

    ``self_signing`` is set only when the master key's signature on it holds;
    ``signed_devices`` maps each device whose self-signing signature holds to
    its Ed25519 key, so a caller can check it is the device it knows.
    """

    user_id: str
    master: str
    self_signing: str | None
    signed_devices: Mapping[str, str]
    # Devices whose own key signed the master key (the device that set the identity
    # up signs it), each with the Ed25519 key that signature holds under.
    master_signed_by: Mapping[str, str] = field(default_factory=dict)


def identity_from_query(response: Mapping[str, Any], user_id: str) -> Identity | None:
    """Read ``user_id``'s identity out of a ``/keys/query`` response; None without one."""
    master_obj = (response.get("master_keys") or {}).get(user_id)
    master = single_key(master_obj, user_id, MASTER)
    if master is None:
        return None
    devices: dict[str, str] = {}
    published = (response.get("device_keys") or {}).get(user_id) or {}
    for device_id, device in published.items():
        if not isinstance(device, Mapping) or device.get("device_id") != device_id:
            continue
        ed25519 = (device.get("keys") or {}).get(f"ed25519:{device_id}")
        if device.get("user_id") == user_id and isinstance(ed25519, str):
            devices[device_id] = ed25519
    master_signed_by = {
        device_id: ed25519
        for device_id, ed25519 in devices.items()
        if verify(master_obj, user_id, ed25519, key_id=device_id)
    }
    ssk_obj = (response.get("self_signing_keys") or {}).get(user_id)
    ssk = single_key(ssk_obj, user_id, SELF_SIGNING)
    if ssk is None or not verify(ssk_obj, user_id, master):
        return Identity(user_id, master, None, {}, master_signed_by)
    signed = {
        device_id: ed25519
        for device_id, ed25519 in devices.items()
        if verify(published[device_id], user_id, ssk)
    }
    return Identity(user_id, master, ssk, signed, master_signed_by)
