"""Key rotation: re-wrap every data key under a new KEK, leaving data untouched.

Each data key is re-wrapped in its own transaction, which also counts it in
the rotation's progress row, and the row's ``kek_id`` says which KEK wraps it.
So an interrupted rotation resumes by simply running again: it picks up every
key not yet under the new KEK. Until it finishes, open vaults with
``previous=[old]`` so keys still under the old KEK stay readable.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from safety.audit.log import AuditLog
from safety.errors import RotationError
from safety.vault.backend import Backend
from safety.vault.keys import KeyProvider
from safety.vault.store import Vault
from safety.vault.url import open_store


@dataclass(frozen=True)
class RotationReport:
    old_kek_id: str
    new_kek_id: str
    #: data keys re-wrapped by this rotation over all its runs
    rewrapped: int
    rewrapped_this_run: int
    resumed: bool
    seconds: float


def rotate(
    store: Backend, old: KeyProvider, new: KeyProvider, *, batch: int = 200
) -> RotationReport:
    """Re-wrap every live data key from ``old`` to ``new``."""
    if old.key_id == new.key_id:
        raise RotationError("the new KEK has the same key id as the old one")
    started = time.monotonic()
    before = store.rotation(new.key_id)
    resumed = before is not None and before.finished is None
    store.begin_rotation(new.key_id, old.key_id)
    this_run = 0
    while stale := store.stale_keys(new.key_id, batch):
        progress = 0
        for row in stale:
            if row.kek_id != old.key_id:
                raise RotationError(
                    f"a data key is wrapped under KEK {row.kek_id}, not the old one"
                )
            data_key = old.unwrap(row.wrapped, row.owner)
            wrapped = new.wrap(data_key, row.owner)
            # Check before writing: a faulty KMS must not cost a data key.
            if new.unwrap(wrapped, row.owner) != data_key:
                raise RotationError("the new KEK does not unwrap what it wrapped")
            if store.rewrap(row.owner, old.key_id, wrapped, new.key_id):
                progress += 1
        if progress == 0:
            raise RotationError("no data key could be re-wrapped; is another rotation running?")
        this_run += progress
    done = store.finish_rotation(new.key_id)
    return RotationReport(
        old.key_id, new.key_id, done.rewrapped, this_run, resumed, time.monotonic() - started
    )


def rotate_keys(
    vault_url: str, old_provider: KeyProvider, new_provider: KeyProvider, *, actor: str = "operator"
) -> RotationReport:
    """``samtal keys rotate``: rotate, then record it in the audit trail."""
    store = open_store(vault_url)
    try:
        report = rotate(store, old_provider, new_provider)
        vault = Vault(store, new_provider)
        reason = f"KEK {report.old_kek_id} to {report.new_kek_id}: {report.rewrapped} data keys"
        AuditLog(vault).append("key_rotation", actor, None, reason)
    finally:
        store.close()
    return report
