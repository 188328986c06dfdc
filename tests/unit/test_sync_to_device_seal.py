"""Olm messages queued while a sync batch was handled are sealed before they leave.

nio encrypts its own to-device messages (the dummy message that repairs a
broken Olm session, forwarded keys) while it handles a batch, and sends them
on the next key round. Sent before the crypto store is sealed, a SIGKILL would
let the restarted bot forget the Olm session those messages began.
"""

from __future__ import annotations

from typing import Any

from bot.transports.matrix.sync_loop import SyncLoop


class _Client:
    should_upload_keys = False
    should_query_keys = False
    should_claim_keys = False

    def __init__(self, queued: int, log: list[str]) -> None:
        self.outgoing_to_device_messages: list[object] = [object()] * queued
        self._log = log

    async def send_to_device_messages(self) -> list[Any]:
        if self.outgoing_to_device_messages:
            self._log.append("send")
        return []


async def test_queued_olm_messages_are_sealed_before_they_are_sent() -> None:
    log: list[str] = []
    loop = SyncLoop(
        _Client(2, log),  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        _nothing,
        before_position_saved=lambda: log.append("seal"),
    )
    await loop._keys()
    assert log == ["seal", "send"]


async def test_no_seal_without_queued_messages() -> None:
    log: list[str] = []
    loop = SyncLoop(
        _Client(0, log),  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        _nothing,
        before_position_saved=lambda: log.append("seal"),
    )
    await loop._keys()
    assert log == []


async def _nothing() -> None:
    return None
