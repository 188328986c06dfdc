"""`make chaos`: participants write while the gateway is killed with SIGKILL again
and again, and Rasa, the action server and the homeserver are each restarted.

Afterwards the outcome is judged from the homeserver's own database and the
vault, not from what the test clients happened to see:

- answered: every message's turn is ``answered`` in the gateway's turn ledger, and
  the homeserver holds at least one bot event whose transaction id is derived from
  that message (``bot.transports.matrix.sender.transaction_id(event_id, index)``);
- answered twice: no reply slot ``(message, index)`` holds two events, and no bot
  event in a participant's room belongs to no message;
- paged exactly once: every high or imminent message is recorded in exactly one
  escalation (opened by it, or folded into the participant's open case), and the
  staff room holds exactly one first page per escalation code;
- acknowledged: a scripted mediator acknowledges every code it is paged with
  (``!ack``) until the vault holds no open escalation;
- the audit chain verifies, and no message text is in any log file.

Sizes come from the environment: SAMTAL_CHAOS_PARTICIPANTS (20),
SAMTAL_CHAOS_MESSAGES (1000), SAMTAL_CHAOS_KILLS (50).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import re
import secrets
import sqlite3
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from nio import MatrixRoom, MegolmEvent

from bot.config import load_config
from bot.ids import EventId, ParticipantId
from bot.launcher.homeserver import register_user
from bot.launcher.layout import StackLayout
from bot.launcher.stack import BOT, DEMO_MEDIATOR, STAFF_SECRETS, Stack, user_id
from bot.state.participants import ParticipantRegistry
from bot.state.turns import ANSWERED, TurnLedger
from bot.transports.idempotency import transaction_id
from bot.transports.matrix.chat_client import ChatClient
from safety.audit import AuditLog
from safety.escalation.record import OPEN, Escalation
from safety.vault import Vault, load_or_create_key_file
from tests.support.leaks import leak_forms

PROJECT = Path(__file__).resolve().parents[1]
CODE = re.compile(r"E-[A-Z0-9]{6}")
CANARY = "kanariefågel-kaos-4d2a"
# Short check-in style messages (no bare numbers after a greeting: "hej 6" is a
# known false positive of the screen).
ORDINARY = (
    "hej",
    "okej",
    "tack",
    "jag är hemma nu",
    "vi hörs",
    "bra",
    "det har varit en lugn dag",
    "jag har jobbat hela dagen",
    "jag mår okej idag",
    "vi åt middag tillsammans",
    "jag tog en promenad",
    "det gick bättre än igår",
)
CANARY_TEXT = f"det har varit lugnt {CANARY}"
IMMINENT = ("jag är på väg hem till henne med kniven nu", "jag ska döda henne ikväll")
HIGH = (
    "I know where she lives now and I called her 40 times",
    "jag vet var hon bor nu och har ringt henne 40 gånger",
)
# Share of messages of each risk level; the rest are ordinary.
RISK_SHARE = {"imminent": 0.04, "high": 0.04}
# The longest a participant waits for an answer before writing the next message.
PATIENCE_S = 45.0
MAX_REPLIES = 40  # reply slots looked for per message (the consent introduction is 3)


@dataclass(frozen=True)
class Sizes:
    participants: int = 20
    messages: int = 1000
    kills: int = 50
    rasa_restarts: int = 1
    action_server_restarts: int = 1
    homeserver_restarts: int = 1
    # Seconds between one gateway kill's restart and the next kill: uniform in this range.
    kill_gap_s: tuple[float, float] = (1.0, 8.0)
    # Pause between a participant's answer and their next message.
    think_s: tuple[float, float] = (0.2, 1.5)
    drain_s: float = 300.0

    @classmethod
    def from_env(cls) -> Sizes:
        return cls(
            participants=int(os.environ.get("SAMTAL_CHAOS_PARTICIPANTS", "20")),
            messages=int(os.environ.get("SAMTAL_CHAOS_MESSAGES", "1000")),
            kills=int(os.environ.get("SAMTAL_CHAOS_KILLS", "50")),
        )


@dataclass(frozen=True)
class Person:
    client: ChatClient
    room_id: str
    matrix_id: str


@dataclass(frozen=True)
class Sent:
    person: int
    event_id: str
    level: str  # "none", "high" or "imminent"
    text: str


@dataclass
class Figures:
    participants: int = 0
    sent: Counter[str] = field(default_factory=Counter)
    kills: int = 0
    unplanned_gateway_deaths: int = 0
    gateway_down_s: list[float] = field(default_factory=list)
    restarts: Counter[str] = field(default_factory=Counter)
    duration_s: float = 0.0
    drain_s: float = 0.0
    turns_answered: int = 0
    turns_not_answered: int = 0
    turns_missing: int = 0
    extra_turns: int = 0
    unanswered: int = 0
    quiet_by_flood_rule: int = 0
    answered_twice: int = 0
    stray_bot_events: int = 0
    bot_events: int = 0
    replies_per_message: Counter[int] = field(default_factory=Counter)
    #: bot events a participant's client could not decrypt when they arrived, and
    #: in how many rooms: what an Olm session rolled back by a SIGKILL looks like.
    #: A figure, not a failure: a room key that arrives after its event is counted
    #: too, though nio could read the event later.
    undecryptable_answers: int = 0
    rooms_with_undecryptable: int = 0
    risk_messages: int = 0
    risk_unrecorded: int = 0
    risk_recorded_twice: int = 0
    ordinary_paged: int = 0
    escalations: int = 0
    coalesced_messages: int = 0
    pages_per_code: Counter[int] = field(default_factory=Counter)
    staff_events: int = 0
    staff_events_unread: int = 0
    not_acknowledged: int = 0
    ack_commands: int = 0
    audit_ok: bool = False
    audit_entries: int = 0
    leaks: list[tuple[str, str]] = field(default_factory=list)
    log_files: int = 0

    def problems(self) -> list[str]:
        found = []
        if self.unplanned_gateway_deaths:
            found.append(f"the gateway died by itself {self.unplanned_gateway_deaths} time(s)")
        if self.unanswered or self.turns_not_answered or self.turns_missing:
            found.append(
                f"unanswered: {self.unanswered} without a reply, {self.turns_not_answered} "
                f"turns not answered, {self.turns_missing} not in the ledger"
            )
        if self.answered_twice or self.stray_bot_events or self.extra_turns:
            found.append(
                f"answered twice: {self.answered_twice}; stray bot events: "
                f"{self.stray_bot_events}; turns no message explains: {self.extra_turns}"
            )
        if self.risk_unrecorded or self.risk_recorded_twice:
            found.append(
                f"risk messages in no escalation: {self.risk_unrecorded}, "
                f"in more than one: {self.risk_recorded_twice}"
            )
        if set(self.pages_per_code) - {1}:
            found.append(f"first pages per escalation code: {dict(self.pages_per_code)}")
        if self.not_acknowledged:
            found.append(f"escalations never acknowledged: {self.not_acknowledged}")
        if not self.audit_ok:
            found.append("the audit chain does not verify")
        if self.leaks:
            found.append(f"message text in files: {self.leaks[:5]}")
        return found

    def lines(self) -> list[str]:
        down = sorted(self.gateway_down_s)
        median_down = down[len(down) // 2] if down else 0.0
        return [
            f"participants {self.participants}; messages {sum(self.sent.values())} "
            f"(ordinary {self.sent['none']}, high {self.sent['high']}, "
            f"imminent {self.sent['imminent']}) in {self.duration_s:.0f} s, "
            f"drained {self.drain_s:.0f} s after the last",
            f"gateway SIGKILLs {self.kills} (unplanned deaths {self.unplanned_gateway_deaths}); "
            f"down per kill median {median_down:.1f} s, max {max(down, default=0):.1f} s; "
            f"restarts: {', '.join(f'{k} {v}' for k, v in sorted(self.restarts.items()))}",
            f"ledger: {self.turns_answered} answered, {self.turns_not_answered} not answered, "
            f"{self.turns_missing} missing, {self.extra_turns} unexplained",
            f"timeline: {self.bot_events} bot events in participant rooms; "
            f"unanswered {self.unanswered} (kept without a reply by the flood rule "
            f"{self.quiet_by_flood_rule}); answered twice {self.answered_twice}; "
            f"stray {self.stray_bot_events}; replies per message "
            f"{dict(sorted(self.replies_per_message.items()))}; undecryptable on arrival "
            f"{self.undecryptable_answers} in {self.rooms_with_undecryptable} rooms",
            f"risk: {self.risk_messages} messages, {self.escalations} escalations "
            f"({self.coalesced_messages} messages folded into an open case); "
            f"in no escalation {self.risk_unrecorded}, in two {self.risk_recorded_twice}; "
            f"ordinary messages paged {self.ordinary_paged}",
            f"staff room: {self.staff_events} bot events ({self.staff_events_unread} unread by "
            f"the mediator); first pages per code {dict(self.pages_per_code)}; "
            f"!ack sent {self.ack_commands}; not acknowledged {self.not_acknowledged}",
            f"audit chain {'verifies' if self.audit_ok else 'BROKEN'} ({self.audit_entries} "
            f"entries); message text in {len(self.leaks)} of {self.log_files} log files",
        ]


def open_vault(home: Path) -> Vault:
    config = load_config(home / "samtal.yaml", home)
    return Vault(config.vault_path, load_or_create_key_file(config.kek_file, create=False))


def script(count: int, rng: random.Random) -> list[tuple[str, str]]:
    """``count`` (level, text) pairs in random order: the risk shares (at least one
    message of each level), a tenth of the ordinary ones carrying the canary."""
    risky = {level: max(1, round(share * count)) for level, share in RISK_SHARE.items()}
    ordinary = max(0, count - sum(risky.values()))
    canaries = max(1, ordinary // 10)
    messages = [("imminent", rng.choice(IMMINENT)) for _ in range(risky["imminent"])]
    messages += [("high", rng.choice(HIGH)) for _ in range(risky["high"])]
    messages += [("none", CANARY_TEXT) for _ in range(canaries)]
    messages += [("none", rng.choice(ORDINARY)) for _ in range(ordinary - canaries)]
    rng.shuffle(messages)
    return messages[:count]


class Mediator:
    """Acknowledges every escalation code it is paged with, again until it hears back."""

    def __init__(self, client: ChatClient, room_id: str) -> None:
        self.client = client
        self.room_id = room_id
        self.commands = 0
        self._asked: dict[str, float] = {}
        # Only what is paged from now on: earlier cases are someone else's.
        self._from = len(client.received)

    def _codes(self) -> tuple[set[str], set[str]]:
        seen: set[str] = set()
        done: set[str] = set()
        for room, _, body, _ in self.client.received[self._from :]:
            if room != self.room_id:
                continue
            for code in CODE.findall(body):
                seen.add(code)
                if any(
                    f"{code}{word}" in body
                    for word in (" acknowledged by", " is acknowledged", " is resolved")
                ):
                    done.add(code)
        return seen, done

    async def run(self) -> None:
        while True:
            seen, done = self._codes()
            now = time.monotonic()
            for code in sorted(seen - done):
                if now - self._asked.get(code, -1e9) < 15:
                    continue
                self._asked[code] = now
                with contextlib.suppress(Exception):  # the homeserver may be restarting
                    await self.client.send(self.room_id, f"!ack {code}")
                    self.commands += 1
            await asyncio.sleep(1.0)


class Chaos:
    def __init__(
        self,
        stack: Stack,
        people: Sequence[Person],
        mediator: Mediator,
        sizes: Sizes,
        seed: int | None = None,
    ) -> None:
        self.stack = stack
        self.people = list(people)
        self.mediator = mediator
        self.sizes = sizes
        self.rng = random.Random(seed)
        self.sent: list[Sent] = []
        self.figures = Figures(participants=len(people))
        # Held by whoever stops or starts a process, so restarts never overlap.
        self._processes = asyncio.Lock()
        # Cleared while the homeserver is away: nobody sends then (a send retried
        # after a timeout could otherwise post the same message twice).
        self._homeserver_up = asyncio.Event()
        self._homeserver_up.set()
        self._traffic_done = asyncio.Event()
        # Answers a participant's client could not decrypt (yet) still pace them:
        # after a gateway restart the room key may arrive after the message.
        self._undecrypted: Counter[str] = Counter()
        for person in self.people:
            person.client.client.add_event_callback(self._on_undecrypted, MegolmEvent)

    # -- disruption ----------------------------------------------------------

    async def _restart_gateway(self) -> None:
        down_at = time.monotonic()
        for attempt in range(3):
            try:
                await self.stack.start_gateway()
                break
            except Exception:
                if attempt == 2:
                    raise
                await asyncio.sleep(2)
        self.figures.gateway_down_s.append(time.monotonic() - down_at)

    async def _kills(self) -> None:
        low, high = self.sizes.kill_gap_s
        while self.figures.kills < self.sizes.kills:
            await asyncio.sleep(self.rng.uniform(low, high))
            async with self._processes:
                gateway = self.stack.gateway
                if gateway is not None and not gateway.running:
                    self.figures.unplanned_gateway_deaths += 1
                else:
                    await self.stack.kill_gateway()
                    self.figures.kills += 1
                await self._restart_gateway()

    async def _restart(self, name: str) -> None:
        async with self._processes:
            if name == "rasa":
                await self.stack.stop_rasa_server()
                await asyncio.sleep(1)
                await self.stack.restart_rasa_server()
            elif name == "action server":
                assert self.stack.actions is not None
                await self.stack.actions.stop()
                await asyncio.sleep(1)
                await self.stack.restart("action server")
            elif name == "homeserver":
                assert self.stack.synapse is not None
                self._homeserver_up.clear()
                await asyncio.sleep(1)  # sends in flight finish
                try:
                    await self.stack.synapse.stop()
                    await asyncio.sleep(2)
                    await self.stack.synapse.start(timeout=90)
                finally:
                    self._homeserver_up.set()
            self.figures.restarts[name] += 1

    async def _other_restarts(self) -> None:
        """Each at a random point of the traffic, one after another."""
        plan = (
            ["rasa"] * self.sizes.rasa_restarts
            + ["action server"] * self.sizes.action_server_restarts
            + ["homeserver"] * self.sizes.homeserver_restarts
        )
        self.rng.shuffle(plan)
        marks = sorted(self.rng.uniform(0.15, 0.8) for _ in plan)
        for name, mark in zip(plan, marks, strict=True):
            while True:
                if len(self.sent) >= mark * self.sizes.messages or self._traffic_done.is_set():
                    break
                await asyncio.sleep(0.5)
            await self._restart(name)

    # -- traffic -------------------------------------------------------------

    async def _on_undecrypted(self, room: MatrixRoom, event: MegolmEvent) -> None:
        if event.sender == user_id(BOT):
            self._undecrypted[room.room_id] += 1

    def _heard(self, person: Person) -> int:
        read = sum(1 for room, *_ in person.client.received if room == person.room_id)
        return read + self._undecrypted[person.room_id]

    async def _participant(self, index: int, messages: list[tuple[str, str]]) -> None:
        person = self.people[index]
        low, high = self.sizes.think_s
        for level, text in messages:
            heard = self._heard(person)
            txn_id = secrets.token_hex(12)  # one per message: a retried send stays one event
            while True:
                await self._homeserver_up.wait()
                try:
                    event_id = await person.client.send(person.room_id, text, txn_id)
                    break
                except Exception:
                    await asyncio.sleep(2)
            self.sent.append(Sent(index, event_id, level, text))
            self.figures.sent[level] += 1
            # The next message once this one is answered (or after a while): the run
            # measures crashes, not the flood rule (bot.core.flood).
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(PATIENCE_S):
                    while True:
                        if self._heard(person) > heard:
                            break
                        await asyncio.sleep(0.1)
            await asyncio.sleep(self.rng.uniform(low, high))

    async def run(self) -> Figures:
        started = time.monotonic()
        messages = script(self.sizes.messages, self.rng)
        shares = [messages[i :: len(self.people)] for i in range(len(self.people))]
        mediator = asyncio.create_task(self.mediator.run())
        disruption = [
            asyncio.create_task(self._kills()),
            asyncio.create_task(self._other_restarts()),
        ]
        try:
            await asyncio.gather(*(self._participant(i, m) for i, m in enumerate(shares)))
            self._traffic_done.set()
            self.figures.duration_s = time.monotonic() - started
            await asyncio.gather(*disruption)
            async with self._processes:  # whatever died, it runs again now
                gateway = self.stack.gateway
                if gateway is None or not gateway.running:
                    self.figures.unplanned_gateway_deaths += 1
                    await self._restart_gateway()
            await self._drain()
            self.figures.drain_s = time.monotonic() - started - self.figures.duration_s
        finally:
            for task in (*disruption, mediator):
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task
        self.figures.ack_commands = self.mediator.commands
        self.judge()
        return self.figures

    async def _drain(self) -> None:
        """Wait until every turn is answered and no escalation is open, or time is up."""
        with contextlib.suppress(TimeoutError):  # what is still missing is judged below
            async with asyncio.timeout(self.sizes.drain_s):
                while True:
                    turns_done, open_cases = await asyncio.to_thread(self._progress)
                    if turns_done and not open_cases:
                        break
                    await asyncio.sleep(2)
        await asyncio.sleep(3)  # the last replies reach the homeserver's database

    def _progress(self) -> tuple[bool, int]:
        vault = open_vault(self.stack.layout.home)
        try:
            ledger = TurnLedger(vault)
            pseudonyms = self._pseudonyms(vault)
            for sent in self.sent:
                turn = ledger.get(pseudonyms[sent.person], EventId(sent.event_id))
                if turn is None or turn.state != ANSWERED:
                    return False, -1
            return True, sum(1 for esc in self._escalations(vault) if esc.state == OPEN)
        finally:
            vault.close()

    # -- judgement -----------------------------------------------------------

    def _pseudonyms(self, vault: Vault) -> list[ParticipantId]:
        registry = ParticipantRegistry(vault)
        return [registry.pseudonym_of(person.matrix_id) for person in self.people]

    def _escalations(self, vault: Vault) -> list[Escalation]:
        owners = set(self._pseudonyms(vault))
        found = []
        for _, record in vault.items("escalation"):
            esc = Escalation.from_record(record)
            if esc.participant in owners:
                found.append(esc)
        return found

    def judge(self) -> None:
        f = self.figures
        home = self.stack.layout.home
        vault = open_vault(home)
        try:
            pseudonyms = self._pseudonyms(vault)
            ledger = TurnLedger(vault)
            for sent in self.sent:
                turn = ledger.get(pseudonyms[sent.person], EventId(sent.event_id))
                if turn is None:
                    f.turns_missing += 1
                elif turn.state == ANSWERED:
                    f.turns_answered += 1
                else:
                    f.turns_not_answered += 1
            # The ledger's keys are blinded: its turns are counted, per participant,
            # against the messages that participant sent.
            for index, pseudonym in enumerate(pseudonyms):
                kept = sum(1 for _ in vault.items("turn", pseudonym))
                f.extra_turns += max(0, kept - sum(1 for s in self.sent if s.person == index))
            escalations = self._escalations(vault)
            self._judge_risk(escalations)
            report = AuditLog(vault).verify()
            f.audit_ok, f.audit_entries = report.ok, report.entries
        finally:
            vault.close()
        self._judge_timeline()
        self._judge_staff_room(escalations)
        self._judge_files()

    def _judge_risk(self, escalations: list[Escalation]) -> None:
        f = self.figures
        f.escalations = len(escalations)
        recorded: Counter[str] = Counter()
        for esc in escalations:
            # A message the dialogue also rated is recorded as "<event> dialogue".
            recorded.update({event.split(" ")[0] for event in esc.events})
            f.not_acknowledged += esc.state == OPEN
        for sent in self.sent:
            times = recorded[sent.event_id]
            if sent.level == "none":
                f.ordinary_paged += times > 0
                continue
            f.risk_messages += 1
            f.risk_unrecorded += times == 0
            f.risk_recorded_twice += times > 1
        f.coalesced_messages = sum(max(0, len(esc.events) - 1) for esc in escalations)

    def _homeserver_db(self) -> sqlite3.Connection:
        path = next(self.stack.layout.home.rglob("homeserver.db"))
        return sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)

    def _bot_events(self, rooms: set[str]) -> list[tuple[str, str, str | None]]:
        """(event id, room, transaction id) of every event the bot sent in ``rooms``."""
        db = self._homeserver_db()
        try:
            rows = db.execute(
                "SELECT e.event_id, e.room_id, t.txn_id FROM events e "
                "LEFT JOIN event_txn_id_device_id t ON t.event_id = e.event_id "
                "WHERE e.sender = ? AND e.type IN ('m.room.encrypted', 'm.room.message')",
                (user_id(BOT),),
            ).fetchall()
        finally:
            db.close()
        return [(e, r, t) for e, r, t in rows if r in rooms]

    def _judge_timeline(self) -> None:
        """Each bot event in a participant's room, mapped by its transaction id to the
        message and reply slot it answers."""
        f = self.figures
        slots: dict[str, tuple[str, int]] = {}
        for sent in self.sent:
            for index in range(MAX_REPLIES):
                slots[transaction_id(sent.event_id, index)] = (sent.event_id, index)
            slots[transaction_id(f"resend {sent.event_id}", 0)] = (sent.event_id, -1)
        events = self._bot_events({p.room_id for p in self.people})
        f.bot_events = len(events)
        per_slot: Counter[tuple[str, int]] = Counter()
        for _, _, txn in events:
            slot = slots.get(txn or "")
            if slot is None:
                f.stray_bot_events += 1
            else:
                per_slot[slot] += 1
        f.answered_twice = len({slot[0] for slot, n in per_slot.items() if n > 1})
        f.undecryptable_answers = sum(self._undecrypted.values())
        f.rooms_with_undecryptable = sum(1 for n in self._undecrypted.values() if n)
        replies: Counter[str] = Counter(slot[0] for slot in per_slot if slot[1] >= 0)
        silent: Counter[int] = Counter()
        for sent in self.sent:
            f.replies_per_message[replies[sent.event_id]] += 1
            silent[sent.person] += replies[sent.event_id] == 0
        # The flood rule keeps a turn beyond the backlog without a reply once the
        # participant was asked to slow down (bot.core.flood): answered by design.
        quiet = self._quiet_turns()
        for person, count in silent.items():
            f.quiet_by_flood_rule += min(count, quiet[person])
            f.unanswered += max(0, count - quiet[person])

    def _quiet_turns(self) -> Counter[int]:
        """Per participant, the turns the gateway logged as kept without a reply."""
        vault = open_vault(self.stack.layout.home)
        try:
            index = {str(p): i for i, p in enumerate(self._pseudonyms(vault))}
        finally:
            vault.close()
        quiet: Counter[int] = Counter()
        log = self.stack.layout.logs / "gateway.log"
        for line in log.read_text(errors="replace").splitlines():
            if '"turn_overflow"' not in line or not line.startswith("{"):
                continue
            record = json.loads(line)
            if record.get("asked") is False and record.get("participant") in index:
                quiet[index[record["participant"]]] += 1
        return quiet

    def _judge_staff_room(self, escalations: list[Escalation]) -> None:
        """First pages per code, read from the staff room as the mediator decrypted it."""
        f = self.figures
        room = self.mediator.room_id
        events = self._bot_events({room})
        read = {eid: body for got, eid, body, _ in self.mediator.client.received if got == room}
        f.staff_events = len(events)
        f.staff_events_unread = sum(1 for eid, _, _ in events if eid not in read)
        bodies = [read[eid] for eid, _, _ in events if eid in read]
        for esc in escalations:
            pages = sum(
                # Every level's headline, handoffs included: "<headline> · <code> · participant".
                body.count(f" · {esc.code} · participant") - body.count(f"⏱ {esc.code} was not")
                for body in bodies
            )
            f.pages_per_code[pages] += 1

    def _judge_files(self) -> None:
        """The canary and every text sent, in every form, in no log file; the canary
        in no file at all under the state directory."""
        f = self.figures
        home = self.stack.layout.home
        logs = [p for p in home.rglob("*") if p.is_file() and ".log" in p.name]
        f.log_files = len(logs)
        texts = {s.text for s in self.sent if len(s.text) >= 6} | {CANARY}
        for path in logs:
            data = path.read_bytes()
            for text in sorted(texts):
                if any(form.encode() in data for form in leak_forms(text)):
                    f.leaks.append((path.name, text))
        for path in home.rglob("*"):
            if path.is_file() and path not in logs:
                data = path.read_bytes()
                if any(form.encode() in data for form in leak_forms(CANARY)):
                    f.leaks.append((path.name, CANARY))


# -- the standalone run ------------------------------------------------------


async def new_person(
    stack: Stack, shared_secret: str, devices: Path, limit: asyncio.Semaphore
) -> Person:
    async with limit:
        localpart = f"kaos-{secrets.token_hex(4)}"
        password = secrets.token_urlsafe(16)
        user = await register_user(stack.homeserver_url, shared_secret, localpart, password)
        await stack.exempt_from_rate_limits(user.user_id)
        await stack.enroll(user.user_id, "sv", user_id(DEMO_MEDIATOR))
        client = ChatClient(
            stack.homeserver_url, user.user_id, devices / localpart, secrets.token_urlsafe(32)
        )
        await client.login(password)
        await client.start()
        room = await client.open_chat(user_id(BOT))
        return Person(client, room, user.user_id)


async def mediator_client(stack: Stack, devices: Path) -> Mediator:
    await stack.exempt_from_rate_limits(user_id(DEMO_MEDIATOR))
    client = ChatClient(
        stack.homeserver_url,
        user_id(DEMO_MEDIATOR),
        devices / DEMO_MEDIATOR,
        secrets.token_urlsafe(32),
    )
    await client.login(stack.layout.read_secret(STAFF_SECRETS[DEMO_MEDIATOR]))
    await client.start()
    async with asyncio.timeout(60):
        while True:
            desk = client.private_room_with(user_id(BOT))
            if desk is not None:
                return Mediator(client, desk)
            await asyncio.sleep(0.2)


async def run() -> None:
    sizes = Sizes.from_env()
    home = Path(tempfile.mkdtemp(prefix="samtal-chaos-"))
    devices = Path(tempfile.mkdtemp(prefix="samtal-chaos-devices-"))
    stack = Stack(project=PROJECT, layout=StackLayout(home), for_tests=True)
    people: list[Person] = []
    mediator: Mediator | None = None
    print(f"state in {home}", flush=True)
    try:
        hs_layout = await stack.start_homeserver()
        await stack.provision(hs_layout)
        await stack.start_rasa()
        await stack.start_gateway()
        mediator = await mediator_client(stack, devices)
        shared = hs_layout.read_registration_secret()
        limit = asyncio.Semaphore(4)
        people = list(
            await asyncio.gather(
                *(new_person(stack, shared, devices, limit) for _ in range(sizes.participants))
            )
        )
        print(
            f"{sizes.participants} participants, {sizes.messages} messages, "
            f"{sizes.kills} gateway kills",
            flush=True,
        )
        figures = await Chaos(stack, people, mediator, sizes).run()
        for line in figures.lines():
            print(line)
        problems = figures.problems()
        print("invariants: " + ("all hold" if not problems else "; ".join(problems)))
    finally:
        for person in people:
            await person.client.stop()
        if mediator is not None:
            await mediator.client.stop()
        await stack.stop()


def main() -> None:
    asyncio.run(run())


if __name__ == "__main__":
    main()
