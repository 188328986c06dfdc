"""One unreadable deletion request does not hold up everyone else's."""

from __future__ import annotations

import secrets

from bot import logs
from bot.participants.deletion import ForgetRequests
from bot.staff.shown_content import ShownContent
from safety.vault import FileKeyProvider, Vault, open_store
from safety.vault.keys import key_id_of
from safety.vault.memory import MemoryStore
from safety.vault.store import SYSTEM_OWNER


def test_an_unreadable_request_is_skipped_and_reported_and_the_others_go_ahead() -> None:
    store = open_store(f"memory://{secrets.token_hex(8)}")
    assert isinstance(store, MemoryStore)
    kek = bytes(32)
    vault = Vault(store, FileKeyProvider(kek, key_id_of(kek)))
    requests = ForgetRequests(vault)
    requests.submit("p-first", "operator", "asked")
    requests.submit("p-second", "operator", "asked")
    # The first request's record no longer authenticates (tampered, or an older copy).
    broken = vault.index("forget_request", "p-first")
    store.records[("forget_request", SYSTEM_OWNER, broken)] = b"\0" * 40
    seen: list[tuple[str, str]] = []
    stop = logs.observe(lambda level, kind, fields: seen.append((level, kind)))
    try:
        pending = requests.pending()
    finally:
        stop()
    assert [request["participant"] for request in pending] == ["p-second"]
    assert ("warning", "forget_request_unreadable") in seen
    # Nothing was lost: the unreadable request is still there to be looked at.
    assert ("forget_request", SYSTEM_OWNER, broken) in store.records


class _Redactions:
    def __init__(self) -> None:
        self.redacted: list[str] = []

    async def redact(self, room_id: str, event_id: str, reason: str) -> None:
        self.redacted.append(event_id)


async def test_an_unreadable_desk_place_does_not_stop_the_other_redactions() -> None:
    """Otherwise the deletion would fail at this step on every try, and with it
    every deletion request queued after it."""
    store = open_store(f"memory://{secrets.token_hex(8)}")
    assert isinstance(store, MemoryStore)
    kek = bytes(32)
    vault = Vault(store, FileKeyProvider(kek, key_id_of(kek)))
    redactions = _Redactions()
    shown = ShownContent(vault, redactions)  # type: ignore[arg-type]
    shown.shown("p-one", "!desk:localhost", "$a")
    shown.shown("p-one", "!desk:localhost", "$b")
    store.records[("shown_in_desk", "p-one", vault.index("shown_in_desk", "$a"))] = b"\0" * 40
    seen: list[tuple[str, str]] = []
    stop = logs.observe(lambda level, kind, fields: seen.append((level, kind)))
    try:
        await shown.remove("p-one")
    finally:
        stop()
    assert redactions.redacted == ["$b"]
    assert ("warning", "desk_content_unreadable") in seen
