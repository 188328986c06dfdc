"""The device-trust policy: cross-signing where a user has it, first use where not."""

from __future__ import annotations

from bot.core.cross_signing import Identity
from bot.core.device_trust import (
    Decision,
    Device,
    Pin,
    Reason,
    Report,
    Role,
    State,
    confirm_code,
    decide,
)

USER = "@p:example.org"


def new(device_id: str) -> Device:
    return Device(device_id, f"ed-{device_id}", State.UNKNOWN)


def trusted(device_id: str) -> Device:
    return Device(device_id, f"ed-{device_id}", State.TRUSTED)


def withheld(device_id: str) -> Device:
    return Device(device_id, f"ed-{device_id}", State.WITHHELD)


def identity(master: str = "M1", *signed: str, signed_back_by: tuple[str, ...] = ()) -> Identity:
    return Identity(
        USER, master, "S", {d: f"ed-{d}" for d in signed}, {d: f"ed-{d}" for d in signed_back_by}
    )


def test_without_cross_signing_first_devices_are_trusted_silently() -> None:
    assert decide(Role.MEMBER, [new("A"), new("B")], None, None) == Decision(trust=("A", "B"))


def test_without_cross_signing_a_later_device_is_trusted_and_reported() -> None:
    decision = decide(Role.MEMBER, [trusted("A"), new("B")], None, None)
    assert decision.trust == ("B",)
    assert decision.reports == (Report(Reason.ADDED_DEVICE, False, "B"),)


def test_the_first_master_key_is_pinned_and_vouches_for_signed_devices() -> None:
    decision = decide(Role.MEMBER, [new("A")], identity("M1", "A"), None)
    assert decision == Decision(trust=("A",), pin=Pin("M1"))


def test_an_unsigned_device_of_a_cross_signed_user_is_withheld_and_reported() -> None:
    decision = decide(Role.MEMBER, [trusted("A"), new("B")], identity("M1", "A"), Pin("M1"))
    assert decision.trust == ()
    assert decision.withhold == ("B",)
    assert decision.reports == (Report(Reason.UNSIGNED_DEVICE, True, "B"),)
    assert decision.pin is None


def test_a_signature_on_other_key_material_does_not_vouch() -> None:
    # The homeserver's signed copy carries another Ed25519 key than the device nio knows.
    forged = Identity(USER, "M1", "S", {"B": "ed-other"})
    decision = decide(Role.MEMBER, [trusted("A"), new("B")], forged, Pin("M1"))
    assert decision.withhold == ("B",)


def test_a_withheld_device_is_trusted_once_its_owner_signs_it() -> None:
    decision = decide(Role.MEMBER, [withheld("B")], identity("M1", "B"), Pin("M1"))
    assert decision.trust == ("B",)
    assert decision.reports == ()


def test_a_withheld_device_is_not_reported_again() -> None:
    assert decide(Role.MEMBER, [withheld("B")], identity("M1"), Pin("M1")) == Decision()


def test_a_new_master_key_is_reported_once_and_vouches_for_nothing() -> None:
    changed = identity("M2", "B")
    decision = decide(Role.MEMBER, [trusted("A"), new("B")], changed, Pin("M1"))
    assert decision.pin == Pin("M1", "M2")
    assert decision.trust == ()
    assert decision.withhold == ("B",)
    # One question for staff: confirming the new identity also answers for B.
    assert decision.reports == (Report(Reason.NEW_MASTER, True, "M2"),)
    unsigned = decide(Role.MEMBER, [trusted("A"), new("C")], changed, Pin("M1"))
    assert Report(Reason.UNSIGNED_DEVICE, True, "C") in unsigned.reports
    # Seen again while staff have not confirmed: no second report.
    again = decide(Role.MEMBER, [trusted("A"), withheld("B")], changed, Pin("M1", "M2"))
    assert again == Decision()


def test_dropping_cross_signing_counts_as_a_new_identity() -> None:
    decision = decide(Role.MEMBER, [trusted("A"), new("B")], None, Pin("M1"))
    assert decision.pin == Pin("M1", "")
    assert decision.withhold == ("B",)
    assert Report(Reason.NEW_MASTER, True, "") in decision.reports


def test_once_staff_confirm_the_new_master_its_devices_are_trusted() -> None:
    decision = decide(Role.MEMBER, [withheld("B")], identity("M2", "B"), Pin("M2"))
    assert decision.trust == ("B",)


def test_the_bots_own_account_trusts_only_devices_under_its_own_identity() -> None:
    own = identity("OWN", "MINE")
    decision = decide(Role.OWN, [new("MINE"), new("OTHER")], own, Pin("OWN"))
    assert decision.trust == ("MINE",)
    assert decision.withhold == ("OTHER",)
    # A master key the homeserver holds but the bot did not make vouches for nothing,
    # and is never pinned: the bot's pin is its own key.
    decision = decide(Role.OWN, [new("X")], identity("ELSE", "X"), Pin("OWN"))
    assert decision.withhold == ("X",)
    assert decision.pin is None
    # Without an identity of its own, the bot trusts no other device of its account.
    assert decide(Role.OWN, [new("X")], None, None).withhold == ("X",)


def test_staff_first_device_is_trusted_but_a_later_unknown_one_is_withheld() -> None:
    assert decide(Role.STAFF, [new("A")], None, None).trust == ("A",)
    decision = decide(Role.STAFF, [trusted("A"), new("B")], None, None)
    assert decision.withhold == ("B",)
    assert decision.reports == (Report(Reason.UNSIGNED_DEVICE, True, "B"),)


def test_staff_devices_signed_by_their_owner_are_trusted() -> None:
    decision = decide(Role.STAFF, [trusted("A"), new("B")], identity("M1", "A", "B"), Pin("M1"))
    assert decision.trust == ("B",)


def test_confirm_codes_are_stable_distinct_and_typeable() -> None:
    code = confirm_code(USER, "B")
    assert code == confirm_code(USER, "B")
    assert code != confirm_code(USER, "C")
    assert code != confirm_code("@q:example.org", "B")
    assert code.startswith("K-")
    assert len(code) == 8
    assert code[2:].isalnum()
    assert code[2:].upper() == code[2:]


def test_an_identity_appearing_on_an_account_already_trusted_waits_for_staff() -> None:
    # Someone with only the password sets up cross-signing to vouch for their device.
    decision = decide(Role.STAFF, [trusted("A"), new("B")], identity("M-new", "B"), None)
    assert decision.trust == ()
    assert decision.withhold == ("B",)
    assert decision.pin == Pin("", "M-new")
    assert decision.reports == (Report(Reason.NEW_MASTER, True, "M-new"),)
    # Once staff confirm the identity, the device it signed is trusted.
    confirmed = decide(
        Role.STAFF, [trusted("A"), withheld("B")], identity("M-new", "B"), Pin("M-new")
    )
    assert confirmed.trust == ("B",)


def test_an_identity_set_up_right_after_a_first_login_completes_that_first_use() -> None:
    # Element cross-signs its very first device seconds after logging in; the bot
    # may have trusted that device on first use in between.
    decision = decide(
        Role.STAFF,
        [trusted("A")],
        identity("M1", "A", signed_back_by=("A",)),
        None,
        within_first_use=True,
    )
    assert decision == Decision(pin=Pin("M1"))
    # Later signed devices are then trusted as the owner's.
    later = decide(Role.STAFF, [trusted("A"), new("B")], identity("M1", "A", "B"), Pin("M1"))
    assert later.trust == ("B",)


def test_first_use_setup_never_covers_a_device_the_identity_does_not_sign() -> None:
    # The owner's trusted device left out, or another device on the account: staff decide.
    for devices, signed in (
        ([trusted("A"), new("B")], ("B",)),
        ([trusted("A"), withheld("B")], ("A", "B")),
        ([trusted("A"), trusted("B")], ("A",)),
    ):
        decision = decide(
            Role.STAFF, devices, identity("M-new", *signed), None, within_first_use=True
        )
        assert decision.pin == Pin("", "M-new"), devices
        assert Report(Reason.NEW_MASTER, True, "M-new") in decision.reports


def test_outside_first_use_an_identity_on_a_trusted_account_waits_for_staff() -> None:
    decision = decide(Role.MEMBER, [trusted("A")], identity("M-new", "A"), None)
    assert decision.pin == Pin("", "M-new")
    assert decision.reports == (Report(Reason.NEW_MASTER, True, "M-new"),)


def test_first_use_setup_needs_the_trusted_device_to_sign_the_identity_back() -> None:
    # A device's public key is public: anyone with the password could upload an
    # identity that signs it. Only the device itself can sign the master key.
    decision = decide(
        Role.STAFF, [trusted("A")], identity("M-evil", "A"), None, within_first_use=True
    )
    assert decision.pin == Pin("", "M-evil")
    assert decision.reports == (Report(Reason.NEW_MASTER, True, "M-evil"),)
