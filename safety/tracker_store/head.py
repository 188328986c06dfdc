"""The head record of one conversation: where its sessions are, plus the newest events.

Per sender (owner) the vault holds, all sealed under the owner's data key:

- ``rasa_tracker/head``: this :class:`Head`. It is rewritten on every save and
  is the commit point: records it does not name are never read.
- ``rasa_events/s/<n>``: every event of closed session ``n``, one record.
- ``rasa_events/c/<n>/<generation>/<i>``: chunk ``i`` of the open session ``n``.

The newest events of the open session ride in the head itself (``tail``), so a
normal turn costs one write; once the tail is long it moves into a chunk.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from safety.errors import StoreError
from safety.tracker_store.events import Event, Fingerprint, fingerprint

HEAD_KIND = "rasa_tracker"
EVENTS_KIND = "rasa_events"
HEAD_KEY = "head"
_VERSION = 1


def closed_key(session: int) -> str:
    return f"s/{session}"


def chunk_key(session: int, generation: int, chunk: int) -> str:
    return f"c/{session}/{generation}/{chunk}"


@dataclass(frozen=True)
class Head:
    session: int  # index of the open session; sessions before it are closed
    generation: int  # bumped when the open session's chunks are compacted
    chunks: int  # chunk records of the open session, in this generation
    flushed: int  # events in those chunks
    before: int  # events in all closed sessions
    first: Fingerprint  # the open session's first event
    last: Fingerprint  # and its newest
    tail: list[Event] = field(default_factory=list, repr=False)

    @property
    def events(self) -> int:
        """Events in the open session."""
        return self.flushed + len(self.tail)

    def chunk_keys(self) -> list[str]:
        return [chunk_key(self.session, self.generation, i) for i in range(self.chunks)]

    def appended(self, new: list[Event]) -> Head:
        return replace(self, tail=[*self.tail, *new], last=fingerprint(new[-1]))

    def as_record(self) -> dict[str, Any]:
        return {
            "v": _VERSION,
            "session": self.session,
            "generation": self.generation,
            "chunks": self.chunks,
            "flushed": self.flushed,
            "before": self.before,
            "first": list(self.first),
            "last": list(self.last),
            "tail": list(self.tail),
        }

    @classmethod
    def from_record(cls, record: Any) -> Head:
        if not isinstance(record, dict) or record.get("v") != _VERSION:
            raise StoreError("tracker head has an unknown format")
        try:
            return cls(
                session=int(record["session"]),
                generation=int(record["generation"]),
                chunks=int(record["chunks"]),
                flushed=int(record["flushed"]),
                before=int(record["before"]),
                first=(str(record["first"][0]), float(record["first"][1])),
                last=(str(record["last"][0]), float(record["last"][1])),
                tail=list(record["tail"]),
            )
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise StoreError("tracker head is malformed") from exc
