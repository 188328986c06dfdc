"""The hash chain: entry MACs, the signed head, and verification.

Each entry's MAC covers its body, and the body holds its own sequence number
and the previous entry's MAC, so an edited, forged, deleted, inserted or
reordered entry breaks the chain at a known position. Truncating the tail
leaves a valid chain, so the head (last seq and MAC) is kept signed beside it
and can be published somewhere this process cannot rewrite.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass

from safety.audit.entry import GENESIS, decode
from safety.vault.backend import AuditRow, Checkpoint


@dataclass(frozen=True)
class AuditReport:
    ok: bool
    entries: int
    #: 1-based position of the first entry that does not verify; entries + 1 when
    #: the tail is missing; None when the chain is intact
    first_bad: int | None = None
    problem: str | None = None
    head: Checkpoint | None = None


def entry_mac(key: bytes, body: str) -> str:
    return hmac.new(key, body.encode(), hashlib.sha256).hexdigest()


def head_sig(key: bytes, seq: int, mac: str, at: float) -> str:
    message = json.dumps([seq, mac, at]).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def head_valid(key: bytes, head: Checkpoint) -> bool:
    return hmac.compare_digest(head.sig, head_sig(key, head.seq, head.mac, head.at))


def _bad(count: int, position: int, problem: str, head: Checkpoint | None) -> AuditReport:
    return AuditReport(False, count, position, problem, head)


def verify_chain(
    rows: list[AuditRow],
    head: Checkpoint | None,
    mac_key: bytes,
    head_key: bytes,
    published: Checkpoint | None = None,
) -> AuditReport:
    """Check every entry in stored order, then the stored and published heads."""
    count, prev = len(rows), GENESIS
    for position, row in enumerate(rows, start=1):
        try:
            fields = decode(row.body)
        except ValueError:
            return _bad(count, position, "entry is not readable", head)
        if not hmac.compare_digest(row.mac, entry_mac(mac_key, row.body)):
            return _bad(count, position, "entry MAC does not verify: edited or forged", head)
        if fields.get("seq") != position or row.seq != position:
            return _bad(
                count, position, "sequence broken: an entry was deleted, inserted or moved", head
            )
        if fields.get("prev") != prev:
            return _bad(count, position, "entry does not chain to the one before it", head)
        prev = row.mac
    if head is None:
        if count:
            return _bad(count, count + 1, "the signed head is missing", head)
        return AuditReport(True, 0, head=None)
    if not head_valid(head_key, head):
        return _bad(count, min(head.seq, count) + 1, "the head signature does not verify", head)
    if head.seq > count:
        return _bad(
            count, count + 1, f"entries after {count} are missing (head is {head.seq})", head
        )
    if head.seq < count or rows[head.seq - 1].mac != head.mac:
        return _bad(count, head.seq, "the chain does not end at the signed head", head)
    if published is not None:
        if not head_valid(head_key, published):
            return _bad(
                count, published.seq, "the published head's signature does not verify", head
            )
        if published.seq > count or rows[published.seq - 1].mac != published.mac:
            position = min(published.seq, count + 1)
            return _bad(count, position, "the published head is not in the chain: rewritten", head)
    return AuditReport(True, count, head=head)
