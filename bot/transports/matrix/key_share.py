"""Seal the crypto store between encrypting room keys and sending them.

Encrypting a room key for a device advances the bot's Olm session with that
device. nio encrypts every to-device payload first and sends them afterwards,
all inside ``share_group_session``. If the bot dies after a payload left but
before the advanced session was sealed to disk, the restarted bot encrypts
with a session state the other device has already moved past, and that device
cannot read the bot's answers. Sealing after encryption and before the first
send closes that window: whatever reached a device is already on disk.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from nio.crypto import Olm

_MARK = "_samtal_seals_before_sending"


def seal_before_sending_room_keys(olm: Olm, seal: Callable[[], None]) -> None:
    """Make ``olm`` call ``seal`` once its room-key payloads are encrypted and
    before nio can send any of them (idempotent per Olm machine)."""
    if getattr(olm, _MARK, False):
        return
    encrypt = olm.share_group_session_parallel

    def encrypt_then_seal(*args: Any, **kwargs: Any) -> Iterator[Any]:
        # Encrypt every batch before handing out the first: nio builds each
        # send as it receives a batch, so the seal must come before any of them.
        # If sealing fails, nothing is sent.
        batches = list(encrypt(*args, **kwargs))
        if batches:
            seal()
        yield from batches

    # nio builds the Olm machine itself and offers no hook between encrypting
    # and sending, so the bound method is replaced on this one instance.
    olm.share_group_session_parallel = encrypt_then_seal
    setattr(olm, _MARK, True)
