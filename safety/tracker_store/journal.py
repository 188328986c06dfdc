"""Conversation trackers in the vault, one record per closed session.

:class:`TrackerJournal` knows nothing of Rasa: it stores lists of event dicts.
``current`` reads only the open session (a head and at most ``compact_after``
chunks), whatever the length of the history. ``save`` takes the events of a
tracker as Rasa hands it over (the open session, or every session), finds the
events the vault already holds by their fingerprints, and writes only the new
ones: normally a single rewrite of the head, whose tail is bounded by
``flush_after`` events.

History is never deleted here. A tracker that shares only a beginning with the
stored open session (two Rasa servers saved one conversation at once) has its
own new events appended after the stored ones, so neither turn is lost. A
tracker that does not continue the stored one at all (Rasa fell back to a fresh
tracker, or ``PUT /tracker/events`` replaced it) is stored as new sessions after
the old ones. Only shredding the owner deletes,
and it makes every record of the conversation unreadable at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

from safety.errors import StoreError
from safety.tracker_store.events import Event, fingerprint, split_sessions
from safety.tracker_store.head import (
    EVENTS_KIND,
    HEAD_KEY,
    HEAD_KIND,
    Head,
    chunk_key,
    closed_key,
)
from safety.vault.store import Vault

SaveOutcome = Literal[
    "unchanged",
    "created",
    "appended",
    "flushed",
    "compacted",
    "new_session",
    "merged",
    "realigned",
]


@dataclass(frozen=True)
class JournalLimits:
    #: events kept in the head before they move into a chunk record of their own
    flush_after: int = 48
    #: chunks of the open session before they are merged into one
    compact_after: int = 16

    def __post_init__(self) -> None:
        if self.flush_after < 1 or self.compact_after < 1:
            raise ValueError("journal limits must be positive")


class TrackerJournal:
    def __init__(self, vault: Vault, limits: JournalLimits | None = None) -> None:
        self._vault = vault
        self._limits = limits or JournalLimits()

    @property
    def vault(self) -> Vault:
        return self._vault

    # reading

    def head(self, sender: str) -> Head | None:
        record = self._vault.get(HEAD_KIND, sender, HEAD_KEY)
        return None if record is None else Head.from_record(record)

    def exists(self, sender: str) -> bool:
        rkey = self._vault.index(HEAD_KIND, HEAD_KEY)
        return self._vault.store.get(HEAD_KIND, sender, rkey) is not None

    def current(self, sender: str) -> list[Event] | None:
        """The open session's events, or None for an unknown sender."""
        head = self.head(sender)
        return None if head is None else self._open_events(sender, head)

    def full(self, sender: str) -> list[Event] | None:
        """Every session's events, oldest first."""
        head = self.head(sender)
        if head is None:
            return None
        events: list[Event] = []
        for session in range(head.session):
            events.extend(self._read(sender, closed_key(session)))
        return events + self._open_events(sender, head)

    def senders(self) -> list[str]:
        """Senders with a stored tracker; owners are stored in the clear anyway."""
        return sorted({record.owner for record in self._vault.store.scan(HEAD_KIND)})

    def _read(self, sender: str, key: str) -> list[Event]:
        events = self._vault.get(EVENTS_KIND, sender, key)
        if not isinstance(events, list):
            raise StoreError("a tracker record named by the head is missing")
        return events

    def _open_events(self, sender: str, head: Head) -> list[Event]:
        events: list[Event] = []
        for key in head.chunk_keys():
            events.extend(self._read(sender, key))
        return events + head.tail

    # writing

    def save(self, sender: str, events: Sequence[Event]) -> SaveOutcome:
        """Store what ``events`` adds to the stored tracker of ``sender``."""
        head = self.head(sender)
        if head is None:
            sessions = [piece for piece in split_sessions(events) if piece]
            if not sessions:
                return "unchanged"
            self._open_sessions(sender, sessions, session=0, before=0)
            return "created"
        stored: list[Event] | None = None
        offset = _align(head, events)
        if offset is not None:
            new = list(events[offset + head.events :])
        else:
            # Another writer saved first (two Rasa servers without a working lock),
            # or this tracker does not continue the stored one at all.
            stored = self._open_events(sender, head)
            start, common = _common_prefix(stored, events)
            if common == 0:
                sessions = [piece for piece in split_sessions(events) if piece]
                if not sessions:
                    return "unchanged"
                self._close(sender, head, stored, sessions)
                return "realigned"
            known = {fingerprint(event) for event in stored}
            new = [e for e in events[start + common :] if fingerprint(e) not in known]
        if not new:
            return "unchanged"
        pieces = split_sessions(new)
        if len(pieces) == 1:
            outcome = self._append(sender, head, pieces[0])
        else:
            opened = stored if stored is not None else self._open_events(sender, head)
            self._close(sender, head, opened + pieces[0], pieces[1:])
            outcome = "new_session"
        return outcome if stored is None else "merged"

    def _put(self, sender: str, key: str, events: list[Event]) -> None:
        self._vault.put(EVENTS_KIND, sender, key, events)

    def _put_head(self, sender: str, head: Head) -> None:
        self._vault.put(HEAD_KIND, sender, HEAD_KEY, head.as_record())

    def _delete_chunks(self, sender: str, keys: list[str]) -> None:
        # After the head stopped naming them; a crash before this leaves records
        # that nothing reads and that a shred of the owner still removes.
        for key in keys:
            self._vault.delete(EVENTS_KIND, sender, key)

    def _append(self, sender: str, head: Head, new: list[Event]) -> SaveOutcome:
        grown = head.appended(new)
        if len(grown.tail) <= self._limits.flush_after:
            self._put_head(sender, grown)
            return "appended"
        if head.chunks < self._limits.compact_after:
            self._put(sender, chunk_key(head.session, head.generation, head.chunks), grown.tail)
            flushed = replace(grown, chunks=head.chunks + 1, flushed=grown.events, tail=[])
            self._put_head(sender, flushed)
            return "flushed"
        merged = self._open_events(sender, grown)
        generation = head.generation + 1
        self._put(sender, chunk_key(head.session, generation, 0), merged)
        compacted = replace(grown, generation=generation, chunks=1, flushed=len(merged), tail=[])
        self._put_head(sender, compacted)
        self._delete_chunks(sender, head.chunk_keys())
        return "compacted"

    def _close(
        self, sender: str, head: Head, closing: list[Event], sessions: list[list[Event]]
    ) -> None:
        """Seal the open session as one record, then open ``sessions`` after it."""
        self._put(sender, closed_key(head.session), closing)
        self._open_sessions(
            sender, sessions, session=head.session + 1, before=head.before + len(closing)
        )
        self._delete_chunks(sender, head.chunk_keys())

    def _open_sessions(
        self, sender: str, sessions: list[list[Event]], *, session: int, before: int
    ) -> None:
        """Write whole sessions from ``session`` on; the last stays open."""
        *closed, opened = sessions
        for events in closed:
            self._put(sender, closed_key(session), events)
            session += 1
            before += len(events)
        head = Head(
            session=session,
            generation=0,
            chunks=0,
            flushed=0,
            before=before,
            first=fingerprint(opened[0]),
            last=fingerprint(opened[-1]),
            tail=list(opened),
        )
        if len(opened) > self._limits.flush_after:
            self._put(sender, chunk_key(session, 0, 0), list(opened))
            head = replace(head, chunks=1, flushed=len(opened), tail=[])
        self._put_head(sender, head)


def _align(head: Head, events: Sequence[Event]) -> int | None:
    """Where the stored open session starts in ``events``, if they continue it.

    Rasa hands over either the open session (from ``retrieve``) or every
    session (from ``retrieve_full_tracker``), so two places can match.
    """
    count = head.events
    for offset in dict.fromkeys((0, head.before)):
        end = offset + count - 1
        if (
            end < len(events)
            and fingerprint(events[offset]) == head.first
            and fingerprint(events[end]) == head.last
        ):
            return offset
    return None


def _common_prefix(stored: Sequence[Event], events: Sequence[Event]) -> tuple[int, int]:
    """Where the stored open session starts in ``events``, and for how many events
    the two agree; (0, 0) if ``events`` do not contain its first event."""
    if not stored:
        return 0, 0
    first = fingerprint(stored[0])
    for start in range(len(events)):
        if fingerprint(events[start]) == first:
            common = 0
            limit = min(len(stored), len(events) - start)
            while common < limit and fingerprint(events[start + common]) == fingerprint(
                stored[common]
            ):
                common += 1
            return start, common
    return 0, 0
