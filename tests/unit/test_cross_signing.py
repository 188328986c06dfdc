"""Cross-signing without I/O: canonical JSON, signatures and request bodies."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from bot.core.cross_signing import (
    NotCanonical,
    Seeds,
    canonical_json,
    device_signature_upload,
    device_signing_upload,
    from_unpadded_b64,
    identity_from_query,
    public_key,
    sign,
    single_key,
    verify,
    with_signature,
)

USER = "@samtal:example.org"
# The signing key of the spec's "Signing JSON" test vectors (appendices).
SPEC_SEED = from_unpadded_b64("YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({}, "{}"),
        ({"one": 1, "two": "Two"}, '{"one":1,"two":"Two"}'),
        ({"b": "2", "a": "1"}, '{"a":"1","b":"2"}'),
        (
            {
                "auth": {
                    "success": True,
                    "mxid": "@john.doe:example.com",
                    "profile": {
                        "display_name": "John Doe",
                        "three_pids": [
                            {"medium": "email", "address": "john.doe@example.org"},
                            {"medium": "msisdn", "address": "123456789"},
                        ],
                    },
                }
            },
            '{"auth":{"mxid":"@john.doe:example.com","profile":{"display_name":"John Doe",'
            '"three_pids":[{"address":"john.doe@example.org","medium":"email"},'
            '{"address":"123456789","medium":"msisdn"}]},"success":true}}',
        ),
        ({"a": "日本語"}, '{"a":"日本語"}'),
        ({"本": 2, "日": 1}, '{"日":1,"本":2}'),
        ({"a": "\u65e5"}, '{"a":"日"}'),
        ({"a": None}, '{"a":null}'),
    ],
)
def test_canonical_json_matches_the_spec_examples(value: object, expected: str) -> None:
    assert canonical_json(value) == expected.encode("utf-8")


def test_canonical_json_refuses_floats() -> None:
    with pytest.raises(NotCanonical):
        canonical_json({"a": [1, {"b": 1.5}]})


def test_signatures_match_the_spec_test_vectors() -> None:
    assert public_key(SPEC_SEED) == "XGX0JRS2Af3be3knz2fBiRbApjm2Dh61gXDJA8kcJNI"
    assert sign({}, SPEC_SEED) == (
        "K8280/U9SSy9IVtjBuVeLr+HpOB4BQFWbg+UZaADMtTdGYI7Geitb76LTrr5QV/7Xg4ahLwYGYZzuHGZKM5ZAQ"
    )
    assert sign({"one": 1, "two": "Two"}, SPEC_SEED) == (
        "KqmLSbO39/Bzb0QIYE82zqLwsA+PDzYIpIRA2sRQ4sL53+sN6/fpNSoqE7BP7vBZhG6kYdD13EIMJpvhJI+6Bw"
    )


def test_a_signature_verifies_with_the_public_key_alone() -> None:
    seeds = Seeds.generate()
    obj = {"user_id": USER, "keys": {"ed25519:DEV": "abc"}, "unsigned": {"note": "x"}}
    signed = with_signature(obj, USER, seeds.self_signing)
    key_id, signature = next(iter(signed["signatures"][USER].items()))
    assert key_id == f"ed25519:{public_key(seeds.self_signing)}"
    # Checked with nothing of ours: the raw public key over the stripped canonical JSON.
    verifier = Ed25519PublicKey.from_public_bytes(from_unpadded_b64(key_id.split(":", 1)[1]))
    verifier.verify(
        from_unpadded_b64(signature),
        b'{"keys":{"ed25519:DEV":"abc"},"user_id":"' + USER.encode() + b'"}',
    )
    assert verify(signed, USER, public_key(seeds.self_signing))


def test_a_changed_object_or_another_key_does_not_verify() -> None:
    seeds = Seeds.generate()
    signed = with_signature({"user_id": USER, "n": 1}, USER, seeds.master)
    assert not verify({**signed, "n": 2}, USER, public_key(seeds.master))
    assert not verify(signed, USER, public_key(seeds.self_signing))
    assert not verify(signed, "@someone:else", public_key(seeds.master))
    assert not verify({"user_id": USER}, USER, public_key(seeds.master))
    broken = {**signed, "signatures": {USER: {f"ed25519:{public_key(seeds.master)}": "%%"}}}
    assert not verify(broken, USER, public_key(seeds.master))


def test_a_new_signature_keeps_the_earlier_ones() -> None:
    seeds = Seeds.generate()
    device = {"user_id": USER, "device_id": "DEV", "signatures": {USER: {"ed25519:DEV": "s"}}}
    signed = with_signature(device, USER, seeds.self_signing)
    assert signed["signatures"][USER]["ed25519:DEV"] == "s"
    assert device["signatures"] == {USER: {"ed25519:DEV": "s"}}  # the input is left alone


def test_seeds_survive_their_sealed_record_and_stay_out_of_repr() -> None:
    seeds = Seeds.generate()
    assert Seeds.from_record(seeds.to_record()) == seeds
    assert seeds.to_record()["master"] not in repr(seeds)
    with pytest.raises(ValueError):
        Seeds.from_record({**seeds.to_record(), "master": "AAAA"})


def test_the_signing_upload_chains_both_keys_to_the_master_key() -> None:
    seeds = Seeds.generate()
    body = device_signing_upload(USER, seeds)
    master = single_key(body["master_key"], USER, "master")
    assert master == public_key(seeds.master)
    assert single_key(body["self_signing_key"], USER, "self_signing") == public_key(
        seeds.self_signing
    )
    assert single_key(body["user_signing_key"], USER, "user_signing") == public_key(
        seeds.user_signing
    )
    assert verify(body["self_signing_key"], USER, master)
    assert verify(body["user_signing_key"], USER, master)
    assert "auth" not in body


def test_single_key_rejects_a_key_of_the_wrong_user_or_use() -> None:
    key = {"user_id": USER, "usage": ["master"], "keys": {"ed25519:K": "K"}}
    assert single_key(key, USER, "master") == "K"
    assert single_key(key, "@other:example.org", "master") is None
    assert single_key(key, USER, "self_signing") is None
    assert single_key({**key, "keys": {"ed25519:K": "L"}}, USER, "master") is None
    assert single_key(None, USER, "master") is None


def _query(seeds: Seeds, devices: dict[str, dict[str, object]]) -> dict[str, object]:
    body = device_signing_upload(USER, seeds)
    return {
        "device_keys": {USER: devices},
        "master_keys": {USER: body["master_key"]},
        "self_signing_keys": {USER: body["self_signing_key"]},
    }


def _device(device_id: str, ed25519: str) -> dict[str, object]:
    return {
        "user_id": USER,
        "device_id": device_id,
        "algorithms": ["m.olm.v1.curve25519-aes-sha2"],
        "keys": {f"ed25519:{device_id}": ed25519, f"curve25519:{device_id}": "c"},
    }


def test_a_device_counts_as_signed_only_under_a_self_signing_key_the_master_signed() -> None:
    seeds = Seeds.generate()
    upload = device_signature_upload(USER, _device("GOOD", "g"), seeds.self_signing)
    signed_device = upload[USER]["GOOD"]
    response = _query(seeds, {"GOOD": signed_device, "BARE": _device("BARE", "b")})
    identity = identity_from_query(response, USER)
    assert identity is not None
    assert identity.master == public_key(seeds.master)
    assert identity.signed_devices == {"GOOD": "g"}

    # The same device under a self-signing key the master never signed: not signed.
    other = Seeds.generate()
    forged = _query(seeds, {"GOOD": signed_device})
    forged["self_signing_keys"] = {USER: device_signing_upload(USER, other)["self_signing_key"]}
    identity = identity_from_query(forged, USER)
    assert identity is not None and identity.self_signing is None
    assert identity.signed_devices == {}


def test_no_master_key_means_no_identity() -> None:
    assert identity_from_query({"device_keys": {USER: {}}}, USER) is None


def test_the_devices_that_signed_the_master_key_are_read_with_their_keys() -> None:
    seeds = Seeds.generate()
    device_seed = Seeds.generate().master  # any Ed25519 seed plays the device's key
    device_key = public_key(device_seed)
    response = _query(
        seeds, {"PHONE": _device("PHONE", device_key), "OTHER": _device("OTHER", "o")}
    )
    master = response["master_keys"][USER]  # type: ignore[index]
    signature = sign(master, device_seed)
    master.setdefault("signatures", {}).setdefault(USER, {})["ed25519:PHONE"] = signature
    identity = identity_from_query(response, USER)
    assert identity is not None
    assert identity.master_signed_by == {"PHONE": device_key}
    # The same signature listed under another device's id holds for nobody.
    del master["signatures"][USER]["ed25519:PHONE"]
    master["signatures"][USER]["ed25519:OTHER"] = signature
    identity = identity_from_query(response, USER)
    assert identity is not None and identity.master_signed_by == {}
