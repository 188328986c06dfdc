"""One answer, one message: the replies of an answer, packed into as few messages as fit.

A participant's phone shows one notification per message, and an answer that
arrives in pieces can be read half-way: a consent question without the text it
asks about. Each message costs the homeserver an event to persist and every
reader a decryption, so a crowd of answers in three pieces queues three times
as long. Replies are kept whole and in order, a blank line apart; a message is
closed only when the next reply would not fit the transport's limit.
"""

from __future__ import annotations

from collections.abc import Sequence

SEPARATOR = "\n\n"


def pack(replies: Sequence[str], limit: int) -> tuple[str, ...]:
    """Consecutive replies joined while they fit ``limit`` characters; a reply longer
    than ``limit`` on its own stays a message of its own (it was cut to size before)."""
    messages: list[str] = []
    for reply in replies:
        if messages and len(messages[-1]) + len(SEPARATOR) + len(reply) <= limit:
            messages[-1] = messages[-1] + SEPARATOR + reply
        else:
            messages.append(reply)
    return tuple(messages)
