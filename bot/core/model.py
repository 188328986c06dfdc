"""Plain data the turn pipeline decides on. No I/O here."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.core.kinds import Kind
from bot.ids import EventId, MatrixUserId, ParticipantId, RoomId


@dataclass(frozen=True)
class Inbound:
    """One message as the transport delivered it."""

    event_id: EventId
    sender: MatrixUserId
    room_id: RoomId
    text: str
    room_encrypted: bool
    room_members: frozenset[str]
    timestamp_ms: int
    replaces: EventId | None = None  # set when the message is an edit of an earlier one
    kind: Kind = Kind.TEXT  # anything but text carries no text: it is never read or kept
    # Text written under a photo or file: screened like any message, never a command.
    caption: bool = False
    # The Curve25519 key of the sending device when the message came encrypted
    # (None when it came in the clear): staff commands count only from devices the
    # bot trusts.
    device_key: str | None = None
    # Whether the messenger offers end-to-end encryption here. Where it cannot
    # (Telegram's chats with bots), the participant was told so before consenting,
    # and an unencrypted conversation is no reason to refuse.
    encryptable: bool = True


@dataclass(frozen=True)
class Participant:
    """What the gateway knows about an enrolled participant."""

    pseudonym: ParticipantId
    matrix_id: MatrixUserId
    language: str
    mediator: str | None = None
    room_id: RoomId | None = None
    consent_version: str | None = None
    consent_at: float | None = None
    paused: bool = False
    enrolled_at: float = 0.0
    handoff_by: str | None = None
    left_at: float | None = None
    schedule: str | None = None

    def companions(self) -> frozenset[str]:
        """Staff who may share the participant's room: assigned mediator, and during a
        handoff the person who took over."""
        return frozenset(p for p in (self.mediator, self.handoff_by) if p)

    def room_members(self, bot_user_id: str) -> frozenset[str]:
        """Everyone who may be in the participant's room, and so receive its keys."""
        return frozenset({bot_user_id, self.matrix_id}) | self.companions()

    def has_consented(self, current_version: str) -> bool:
        return self.consent_version == current_version


@dataclass(frozen=True)
class BotMessage:
    """One reply the dialogue produced, before the gateway's checks."""

    text: str
    kind: str = "text"
    question: str | None = None


@dataclass(frozen=True)
class TurnPlan:
    """What to send and which effects to apply, in order."""

    replies: tuple[str, ...]
    effects: tuple[dict[str, object], ...] = field(default_factory=tuple)
    blocked_questions: int = 0


@dataclass(frozen=True)
class Reaction:
    """A reaction (an emoji on a message), from a staff member or a participant."""

    room_id: RoomId
    sender: MatrixUserId
    reacts_to: EventId
    key: str
    device_key: str | None = None  # as in Inbound: None when it came in the clear


@dataclass(frozen=True)
class Lost:
    """A message that never decrypted: who sent it where, nothing of what."""

    room_id: str
    sender: str
    event_id: str


@dataclass(frozen=True)
class Invited:
    """Someone who opened the bot's chat through their enrolment link: the account the
    link reached, and the enrolment it carried."""

    person: str
    conversation: str
    language: str
    mediator: str | None
    schedule: str | None
    event_id: str
