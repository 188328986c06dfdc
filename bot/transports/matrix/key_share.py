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

from bot.errors import MatrixCallError

_MARK = "_samtal_seals_before_sending"


def seal_before_sending_room_keys(
    olm: Olm,
    seal: Callable[[], None],
    allowed: Callable[[str], frozenset[str] | None] = lambda room_id: None,
) -> None:
    """Make ``olm`` call ``seal`` once its room-key payloads are encrypted and
    before nio can send any of them (idempotent per Olm machine).

    ``allowed`` names the members a room's key may go to (None: not checked here).
    nio reads the room's members after awaiting a key claim, so someone who joined
    in that moment is refused here, before anything is encrypted for them."""
    if getattr(olm, _MARK, False):
        return
    encrypt = olm.share_group_session_parallel

    def encrypt_then_seal(
        room_id: str, users: list[str], *args: Any, **kwargs: Any
    ) -> Iterator[Any]:
        expected = allowed(room_id)
        if expected is not None and not set(users) <= expected:
            raise MatrixCallError(
                "share_group_session", "unexpected_members", f"{len(set(users) - expected)} others"
            )
        # Encrypt every batch before handing out the first: nio builds each
        # send as it receives a batch, so the seal must come before any of them.
        # If sealing fails, nothing is sent.
        batches = list(encrypt(room_id, users, *args, **kwargs))
        if batches:
            seal()
        yield from batches

    # nio builds the Olm machine itself and offers no hook between encrypting
    # and sending, so the bound method is replaced on this one instance.
    olm.share_group_session_parallel = encrypt_then_seal
    setattr(olm, _MARK, True)
