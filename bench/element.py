"""Element users against the bot and a bare echo bot, side by side in one run.

Participants and the mediator run Element's own SDK (matrix-js-sdk with Rust crypto,
``tests/element/driver.mjs``) against the stack as ``make run`` starts it: Synapse's
default rate limits, the bot exempted by the launcher, the bench's own accounts
exempted one by one. The floor is a bare echo bot on the same SDK, cross-signed as
Element sets itself up: in Element's "exclude insecure devices" mode a client shares
no room keys with a device its owner has not cross-signed, so an echo bot without
cross-signing (matrix-nio has none) could not read anything there, and the floor
would not survive switching ``ISOLATION``.

1. Reply: one participant, one message at a time; the first reply against the echo
   round trip and a Rasa turn on its own (a direct call to Rasa's webhook).
2. Multi-message answers: the consent introduction and the check-in answers of that
   participant, and the introduction of 20 participants who say hello at once.
3. 20 participants at once: every participant sends a risk message in the same
   moment; the page decrypted by the mediator's Element, and each participant's first
   reply, against the echo round trip of the same 20 clients under the same load.

Times are taken where a user would see them: from the moment Element's SDK is handed
the message to the moment it has the answer in its timeline, decrypted.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.escalation import RISK_TEXT, code_of, new_user
from bench.stats import percentile
from bot.escalation.desks import DESK_NAME
from bot.ids import ParticipantId
from bot.launcher.layout import StackLayout
from bot.launcher.stack import BOT, DEMO_MEDIATOR, STAFF_SECRETS, Stack, user_id
from bot.rasa.client import RasaClient
from tests.support.element import ElementClient, ElementUsers, Received

PROJECT = Path(__file__).resolve().parents[1]
# Element's "exclude insecure devices" mode ("only_signed") shares room keys only with
# devices their owner cross-signed, as Element X is moving to; "all_devices" is the
# legacy mode, for comparison.
ISOLATION = os.environ.get("SAMTAL_ELEMENT_ISOLATION", "only_signed")
LANGUAGE = "sv"
# Consent, then a whole check-in (the answers the integration tests give).
CHECKIN = ("ja", "3", "ok", "ja", "nej", "nej", "jobbet", "nej", "min bror", "nej")
REPLY_TEXTS = ("hej då", "vi hörs")
RASA_METADATA = {"language": LANGUAGE, "consented": True, "consent_version": "v1"}
REPLY_ROUNDS = int(os.environ.get("SAMTAL_BENCH_REPLY_ROUNDS", "20"))
CROWD = int(os.environ.get("SAMTAL_BENCH_CROWD", "20"))
CROWD_ROUNDS = int(os.environ.get("SAMTAL_BENCH_CROWD_ROUNDS", "3"))
# An answer is over when nothing more came for this long.
ANSWER_QUIET_S = 2.0
# Each Element client loads its WASM crypto and cross-signs itself when it opens;
# a few at a time keeps the 2-core machine answering.
OPEN_AT_ONCE = 4
LONG_DEADLINES = {"imminent": 3600.0, "high": 3600.0, "handoff": 3600.0}


@dataclass(frozen=True)
class Verdict:
    """One target: a measured figure against its limit (both in ms)."""

    target: str
    measured_ms: float
    limit_ms: float

    @property
    def met(self) -> bool:
        return self.measured_ms <= self.limit_ms

    def __str__(self) -> str:
        verdict = "met" if self.met else "NOT met"
        return f"{self.target}: {self.measured_ms:.0f} ms, limit {self.limit_ms:.0f} ms → {verdict}"


def reply_verdict(first_reply_p50: float, echo_p50: float, rasa_p50: float) -> Verdict:
    return Verdict(
        "first reply p50 ≤ 1.2 × (echo round trip p50 + Rasa turn p50)",
        first_reply_p50,
        1.2 * (echo_p50 + rasa_p50),
    )


def burst_verdict(spans: list[float]) -> Verdict:
    return Verdict(
        "every multi-message answer's last message ≤ 1 s after its first", max(spans), 1000.0
    )


def escalation_verdict(escalation_p99: float, echo_p99: float) -> Verdict:
    return Verdict("escalation p99 ≤ 1.2 × echo p99", escalation_p99, 1.2 * echo_p99)


def crowd_reply_verdict(replies: list[float], echo_p99: float) -> Verdict:
    return Verdict("slowest participant's reply ≤ 2 × echo p99", max(replies), 2 * echo_p99)


def spread(values: list[float]) -> str:
    return (
        f"p50 {statistics.median(values):.0f} ms  p90 {percentile(values, 0.9):.0f} ms"
        f"  p99 {percentile(values, 0.99):.0f} ms  max {max(values):.0f} ms  (n={len(values)})"
    )


@dataclass(frozen=True)
class Answer:
    first_ms: float  # message handed to the SDK → first message of the answer readable
    span_ms: float  # first → last message of the answer
    messages: int


@dataclass(frozen=True)
class Participant:
    client: ElementClient
    bot_room: str
    echo_room: str
    code: str


async def answer_to(
    client: ElementClient,
    room: str,
    text: str,
    sender: str,
    *,
    quiet: float,
    contains: str = "",
    count: int = 1,
) -> Answer:
    mark = await client.mark()
    _, sent_at = await client.send_text_at(room, text)
    got = await client.wait_messages(
        room, mark, sender=sender, contains=contains, count=count, timeout=60, quiet=quiet
    )
    arrivals = arrivals_of(got)
    return Answer(
        (arrivals[0] - sent_at) * 1000, (arrivals[-1] - arrivals[0]) * 1000, len(arrivals)
    )


def arrivals_of(received: Received) -> list[float]:
    """When each message became readable, in order; a figure that includes a message
    Element could not decrypt would measure nothing, so the run stops there."""
    if received.undecryptable:
        raise RuntimeError(f"Element could not decrypt {len(received.undecryptable)} message(s)")
    arrivals = [m.arrived_at for m in received.messages]
    if None in arrivals:
        raise RuntimeError("the Element driver gave a message without its arrival time")
    return sorted(a for a in arrivals if a is not None)


async def open_participant(
    users: ElementUsers, stack: Stack, shared: str, echo_id: str, limit: asyncio.Semaphore
) -> Participant:
    async with limit:
        matrix_id, password = await new_user(stack, shared, "el")
        await stack.enroll(matrix_id, LANGUAGE, user_id(DEMO_MEDIATOR))
        client = await users.open(matrix_id, password, ISOLATION)
        # Element cross-signs a new login of its own; so do its users here.
        await client.bootstrap_cross_signing()
        bot_room = await client.create_dm(user_id(BOT), timeout=60)
        echo_room = await client.create_dm(echo_id, timeout=60)
        return Participant(client, bot_room, echo_room, code_of(stack, matrix_id))


async def staff_room_of(mediator: ElementClient) -> str:
    """The mediator's desk, where their participants' pages arrive (on a fresh stack
    the bot invited them to it and to the team room)."""
    async with asyncio.timeout(60):
        while True:
            rooms = await mediator.rooms()
            joined = [
                r["room_id"] for r in rooms if r["membership"] == "join" and r["name"] == DESK_NAME
            ]
            if joined:
                return joined[0]
            for room in rooms:
                if room["membership"] == "invite":
                    await mediator.call("join", room_id=room["room_id"])
            await asyncio.sleep(0.5)


async def echo_sample(who: Participant, echo_id: str, label: str) -> float:
    marker = f"echo-{label}-{secrets.token_hex(3)}"
    answer = await answer_to(who.client, who.echo_room, marker, echo_id, quiet=0, contains=marker)
    return answer.first_ms


def print_gateway_view(log: Path, offset: int) -> None:
    """The same turns as the gateway timed them: the screen, and the turn from its
    start in the room's worker to its last reply sent (Rasa inside ``plan``)."""
    with log.open("rb") as handle:
        handle.seek(offset)
        lines = handle.read().decode().splitlines()
    records = [json.loads(line) for line in lines if line.startswith("{")]

    def figures(event: str, field: str) -> list[float]:
        return [
            float(r[field])
            for r in records
            if r.get("event") == event and field in r and r.get("messages", 1) == 1
        ]

    for label, event, field in (
        ("screen", "message_screened", "ms"),
        ("plan (Rasa)", "turn_answered", "ms_plan"),
        ("whole turn", "turn_answered", "ms"),
    ):
        values = figures(event, field)
        if values:
            print(f"  gateway: {label:<12} {spread(values)}")


async def reply_part(who: Participant, echo_id: str, rasa: RasaClient) -> list[tuple[str, Answer]]:
    """Section 1, and the multi-message answers of one participant (returned)."""
    bot = user_id(BOT)
    answers = [
        (
            "consent introduction",
            await answer_to(who.client, who.bot_room, "hej", bot, quiet=ANSWER_QUIET_S),
        )
    ]
    for text in CHECKIN:
        answer = await answer_to(who.client, who.bot_room, text, bot, quiet=ANSWER_QUIET_S)
        answers.append((f"answer to {text!r}", answer))
    sender = ParticipantId(f"bench-rasa-{secrets.token_hex(4)}")
    await rasa.message(sender, "hej", RASA_METADATA)  # its session start is not a turn
    await echo_sample(who, echo_id, "warm-up")  # nor is the echo room's first key share
    echo: list[float] = []
    replies: list[float] = []
    turns: list[float] = []
    for n in range(REPLY_ROUNDS):
        echo.append(await echo_sample(who, echo_id, str(n)))
        text = REPLY_TEXTS[n % len(REPLY_TEXTS)]
        # Half a second of quiet lets any second message pass before the next sample.
        replies.append((await answer_to(who.client, who.bot_room, text, bot, quiet=0.5)).first_ms)
        started = time.perf_counter()
        await rasa.message(sender, text, RASA_METADATA)
        turns.append((time.perf_counter() - started) * 1000)
    print(f"\nReply: one participant, one message at a time ({REPLY_ROUNDS} rounds)")
    print(f"  bot first reply      {spread(replies)}")
    print(f"  echo round trip      {spread(echo)}")
    print(f"  Rasa turn alone      {spread(turns)}")
    medians = (statistics.median(v) for v in (replies, echo, turns))
    print(f"  {reply_verdict(*medians)}")
    return answers


async def crowd_part(
    crowd: list[Participant],
    mediator: ElementClient,
    staff_room: str,
    echo_id: str,
    intro_messages: int,
) -> list[float]:
    """Section 3; returns the spans of the crowd's consent introductions.

    Under load the introduction's messages can come further apart than any quiet
    period, so each one is awaited until it has as many messages as it had alone.
    """
    bot = user_id(BOT)
    # The first message in a room shares its keys first; the bot's rooms pay that in the
    # introduction, measured as a new participant meets it, the echo rooms here.
    await asyncio.gather(*(echo_sample(p, echo_id, "warm-up") for p in crowd))
    intros = await asyncio.gather(
        *(
            answer_to(p.client, p.bot_room, "hej", bot, quiet=ANSWER_QUIET_S, count=intro_messages)
            for p in crowd
        )
    )
    await asyncio.sleep(2)
    echo: list[float] = []
    pages: list[float] = []
    risk_replies: list[float] = []
    worst: dict[str, float] = {p.code: a.first_ms for p, a in zip(crowd, intros, strict=True)}

    async def risk(who: Participant, staff_mark: int) -> tuple[float, float, str]:
        mark = await who.client.mark()
        _, sent_at = await who.client.send_text_at(who.bot_room, RISK_TEXT)
        paged, answered = await asyncio.gather(
            mediator.wait_messages(
                staff_room, staff_mark, sender=bot, contains=f"participant {who.code}", timeout=60
            ),
            who.client.wait_messages(who.bot_room, mark, sender=bot, timeout=60),
        )
        page_at, reply_at = arrivals_of(paged)[0], arrivals_of(answered)[0]
        # A batched page carries several participants' cases: take this one's.
        found = re.search(
            rf"(E-[A-Z0-9]{{6}}) · participant {re.escape(who.code)}", paged.messages[0].body
        )
        if found is None:
            raise RuntimeError("a page without its escalation code")
        return (page_at - sent_at) * 1000, (reply_at - sent_at) * 1000, found.group(1)

    async def resolve(codes: list[str]) -> None:
        """The mediator closes each case, as after a call; a participant's next risk
        message then opens a new one (an open one would absorb it into one page)."""
        for code in codes:
            mark = await mediator.mark()
            await mediator.send_text(staff_room, f"!resolve {code} bench round over")
            await mediator.wait_messages(
                staff_room, mark, sender=bot, contains=f"{code} is resolved", timeout=60
            )

    for round_no in range(CROWD_ROUNDS):
        echo += await asyncio.gather(
            *(echo_sample(p, echo_id, f"{round_no}-{n}") for n, p in enumerate(crowd))
        )
        await asyncio.sleep(1.5)
        staff_mark = await mediator.mark()
        codes: list[str] = []
        for who, (page, reply, code) in zip(
            crowd, await asyncio.gather(*(risk(p, staff_mark) for p in crowd)), strict=True
        ):
            pages.append(page)
            risk_replies.append(reply)
            codes.append(code)
            worst[who.code] = max(worst[who.code], reply)
        await resolve(codes)
        await asyncio.sleep(1.5)
    intro_first = [a.first_ms for a in intros]
    echo_p99 = percentile(echo, 0.99)
    print(f"\n{len(crowd)} participants at once ({CROWD_ROUNDS} rounds of a risk message each)")
    print(f"  escalation (sent → page decrypted by the mediator)  {spread(pages)}")
    print(f"  echo round trip, same clients, same load           {spread(echo)}")
    print(f"  {escalation_verdict(percentile(pages, 0.99), echo_p99)}")
    print(f"  first reply to the risk message                    {spread(risk_replies)}")
    print(f"  first reply to hello, all at once                  {spread(intro_first)}")
    slowest = sorted(worst.values())
    print(f"  each participant's slowest first reply             {spread(slowest)}")
    print(f"  {crowd_reply_verdict(intro_first + risk_replies, echo_p99)}")
    counts = sorted({a.messages for a in intros})
    print(f"  messages in each introduction: {', '.join(map(str, counts))}")
    return [a.span_ms for a in intros if a.messages > 1]


def print_bursts(alone: list[tuple[str, Answer]], crowd_spans: list[float]) -> None:
    print("\nMulti-message answers (first → last message the participant can read)")
    spans: list[float] = []
    for label, answer in alone:
        if answer.messages > 1:
            print(f"  alone, {label}: {answer.messages} messages over {answer.span_ms:.0f} ms")
            spans.append(answer.span_ms)
    if crowd_spans:
        print(f"  consent introduction, {CROWD} at once: {spread(crowd_spans)}")
    spans += crowd_spans
    if spans:
        print(f"  {burst_verdict(spans)}")
    else:
        # Each answer goes as one message unless it passes the transport's limit.
        print(f"  all {len(alone)} answers alone and the {CROWD} introductions came whole")


async def run() -> None:
    home = Path(tempfile.mkdtemp(prefix="samtal-bench-element-"))
    # For the benches' own logins from one address, and long acknowledgement deadlines
    # so no page is repeated to on-call during the run; the bot's limits are make run's.
    stack = Stack(
        project=PROJECT, layout=StackLayout(home), for_tests=True, ack_seconds=LONG_DEADLINES
    )
    clients: list[ElementClient] = []
    print(f"Element's SDK in '{ISOLATION}' mode; load average {os.getloadavg()[0]:.1f} at start")
    started = time.monotonic()
    try:
        hs_layout = await stack.start_homeserver()
        await stack.provision(hs_layout)
        await stack.start_rasa()
        await stack.start_gateway()
        users = ElementUsers(stack.homeserver_url, home / "element", clients)
        users.log_dir.mkdir()
        shared = hs_layout.read_registration_secret()
        await stack.exempt_from_rate_limits(user_id(DEMO_MEDIATOR))
        mediator = await users.open(
            user_id(DEMO_MEDIATOR),
            stack.layout.read_secret(STAFF_SECRETS[DEMO_MEDIATOR]),
            ISOLATION,
        )
        await mediator.bootstrap_cross_signing()  # as Element does at a first login
        staff_room = await staff_room_of(mediator)
        echo_id, echo_password = await new_user(stack, shared, "echo")
        echo = await users.open(echo_id, echo_password, ISOLATION)
        await echo.bootstrap_cross_signing()
        await echo.echo()
        limit = asyncio.Semaphore(OPEN_AT_ONCE)
        first = await open_participant(users, stack, shared, echo_id, limit)
        print(f"stack and the first Element clients ready in {time.monotonic() - started:.0f} s")
        rasa = RasaClient(
            stack.rasa_url, stack.layout.read_secret("rasa.token"), timeout_seconds=30
        )
        try:
            log_offset = stack.layout.logs.joinpath("gateway.log").stat().st_size
            alone = await reply_part(first, echo_id, rasa)
            print_gateway_view(stack.layout.logs / "gateway.log", log_offset)
        finally:
            await rasa.close()
        await first.client.close()
        opening = time.monotonic()
        crowd = await asyncio.gather(
            *(open_participant(users, stack, shared, echo_id, limit) for _ in range(CROWD))
        )
        print(f"\n{CROWD} more Element participants ready in {time.monotonic() - opening:.0f} s")
        intro_messages = alone[0][1].messages
        crowd_spans = await crowd_part(list(crowd), mediator, staff_room, echo_id, intro_messages)
        print_bursts(alone, crowd_spans)
        elapsed = time.monotonic() - started
        print(f"\nload average {os.getloadavg()[0]:.1f} at the end; {elapsed:.0f} s in all")
    finally:
        # The stack goes with the run, so nobody logs out: every driver is just stopped.
        await asyncio.gather(*(client.close() for client in clients), return_exceptions=True)
        await stack.stop()


def main() -> None:
    asyncio.run(run())
