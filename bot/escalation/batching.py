"""Which pending notices share one staff-room message.

Twenty pages sent at once as twenty events arrive one by one (the homeserver
persists a room's events in order); one message holding them all arrives in the
time of one. But an event has a size limit (Synapse: 65,536 bytes for the whole
event, and encryption makes the text about a third larger again), and a batch
that is too large fails every time it is tried. So notices are grouped by their
encoded size as well as their number.
"""

from __future__ import annotations

import json

MAX_PER_MESSAGE = 25
# The notice's content as JSON, every non-ASCII character escaped (the worst case:
# 12 bytes for an emoji). Encrypted, the event is about 4/3 of this plus its
# envelope; 24,000 keeps it far below 65,536.
MAX_MESSAGE_BYTES = 24_000


def combined_body(parts: list[str]) -> str:
    if len(parts) == 1:
        return parts[0]
    header = f"{len(parts)} updates. A ✅ on this message acknowledges every page in it.\n\n"
    return header + "\n\n".join(parts)


def encoded_size(body: str) -> int:
    return len(json.dumps({"msgtype": "m.notice", "body": body}).encode())


def group_by_size(
    parts: list[str],
    *,
    max_bytes: int = MAX_MESSAGE_BYTES,
    max_count: int = MAX_PER_MESSAGE,
) -> list[list[int]]:
    """Indices of ``parts`` grouped in order, each group one message within the
    limits. A part too large even alone goes alone (its send will fail; the others
    must not fail with it)."""
    groups: list[list[int]] = []
    current: list[int] = []
    for index in range(len(parts)):
        candidate = [*current, index]
        fits = encoded_size(combined_body([parts[i] for i in candidate])) <= max_bytes
        if current and (not fits or len(candidate) > max_count):
            groups.append(current)
            current = [index]
        else:
            current = candidate
    if current:
        groups.append(current)
    return groups
