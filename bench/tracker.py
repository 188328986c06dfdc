"""Rasa turn latency over a participant's life: encrypted tracker store vs in-memory.

Starts one action server and two Rasa servers (the project's fast pipeline,
trained or cached by ``ensure_model``) in a temporary SAMTAL_HOME: one with the
EncryptedTrackerStore as ``make run`` configures it (the SQLite vault, WAL,
``durability: relaxed``), one with Rasa's InMemoryTrackerStore. Each server
gets the same long-lived conversation over the REST channel.

A shared machine drifts in speed over a run, so every figure is paired: each
turn of the long conversation is sent to both servers back to back, and next
to it a turn of a fresh conversation (a new sender every 10 turns) on the same
server. "Growth" is the long conversation's latency over the fresh one's at
the same moment; "overhead" is the encrypted server's latency over the
in-memory one's for the same turn. Both are medians of per-turn ratios.

1. 500 turns with a new session every 10 turns (``RasaControl.start_session``,
   as every check-in does), at turns 5, 100, 200 and 500.
2. The same without new sessions (200 turns by default; it gets slow): why
   every check-in must start a session.
3. The store alone, in-process: loading and saving one turn, against
   re-encrypting the whole session per save, with both durabilities.

Usage: ``python -m bench.tracker [--turns 500] [--no-session-turns 200]``.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import secrets
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from bench.stats import percentile
from bot.ids import ParticipantId
from bot.launcher.homeserver import free_port
from bot.launcher.layout import StackLayout
from bot.launcher.processes import ManagedProcess
from bot.launcher.rasa import RasaPaths, action_server, ensure_model, rasa_server
from bot.rasa.client import RasaClient, RasaControl
from safety.tracker_store import JournalLimits, TrackerStoreSettings
from safety.tracker_store.backend import Durability
from safety.vault import load_or_create_key_file

PROJECT = Path(__file__).resolve().parents[1]
MARKS = (5, 100, 200, 500)
WINDOW = 10  # turns either side of a mark
METADATA = {"language": "sv", "consented": True, "consent_version": "v1"}
# Roughly one check-in's worth of messages, repeated.
SCRIPT = ("hej", "ja", "3", "nej", "ok", "tack", "hej då", "hej", "nej tack", "vi hörs")
BASELINE = "in-memory"
#: store variant -> what it changes in the launcher's tracker_store section
VARIANTS: dict[str, dict[str, object] | None] = {
    "encrypted": {},  # as make run configures it
    BASELINE: None,  # Rasa's InMemoryTrackerStore
}
FRESH_EVERY = 10  # the reference conversation is always in its first 10 turns


@dataclass
class Samples:
    """Per-turn latencies (ms) of one server: the long conversation and the fresh one."""

    long: list[float]
    fresh: list[float]


@dataclass
class RasaUnderTest:
    name: str
    process: ManagedProcess
    url: str
    token: str


def _adjust_endpoints(home: Path, change: dict[str, object] | None) -> None:
    """Change the tracker store the launcher wrote into endpoints.yml."""
    path = home / "rasa" / "endpoints.yml"
    endpoints = yaml.safe_load(path.read_text())
    if change is None:
        endpoints["tracker_store"] = {"type": "InMemoryTrackerStore"}
    else:
        endpoints["tracker_store"].update(change)
    path.write_text(yaml.safe_dump(endpoints))


async def start_servers(root: Path) -> tuple[ManagedProcess, dict[str, RasaUnderTest]]:
    paths = RasaPaths.default(PROJECT)
    model, trained = await asyncio.to_thread(ensure_model, paths, root / "train")
    print(f"model {model.name}" + (f" (trained in {trained:.0f} s)" if trained else " (cached)"))
    action_port = free_port()
    actions = action_server(paths, root / "actions", action_port)
    servers: dict[str, RasaUnderTest] = {}
    for name, change in VARIANTS.items():
        home = root / name.replace("-", "")
        layout = StackLayout(home)
        port = free_port()
        process = rasa_server(
            paths,
            home,
            model,
            port,
            action_port,
            layout.secret("rasa.token"),
            actions_home=root / "actions",
        )
        _adjust_endpoints(home, change)
        servers[name] = RasaUnderTest(
            name, process, f"http://127.0.0.1:{port}", layout.read_secret("rasa.token")
        )
    started = time.monotonic()
    try:
        await actions.start()
        for server in servers.values():
            await server.process.start()
        await asyncio.gather(
            actions.wait_http(f"http://127.0.0.1:{action_port}/health", 180),
            *(s.process.wait_http(f"{s.url}/", 300) for s in servers.values()),
        )
    except BaseException:
        for process in (*(s.process for s in servers.values()), actions):
            await process.stop()
        raise
    ready = time.monotonic() - started
    print(f"action server and {len(servers)} Rasa servers ready in {ready:.0f} s")
    return actions, servers


async def drive(
    servers: dict[str, RasaUnderTest], turns: int, session_every: int | None
) -> dict[str, Samples]:
    """One long conversation per server, and beside it a fresh one, turn by turn."""
    samples = {name: Samples([], []) for name in servers}
    clients = {
        name: RasaClient(server.url, server.token, timeout_seconds=120)
        for name, server in servers.items()
    }
    long_sender = ParticipantId(f"bench-{secrets.token_hex(6)}")
    fresh_sender = long_sender
    try:
        texts = itertools.cycle(SCRIPT)
        for turn in range(1, turns + 1):
            text = next(texts)
            if (turn - 1) % FRESH_EVERY == 0:
                fresh_sender = ParticipantId(f"bench-{secrets.token_hex(6)}")
            every = session_every or 0
            new_session = every > 0 and turn > 1 and (turn - 1) % every == 0
            order = list(servers) if turn % 2 else list(reversed(servers))
            for name in order:
                client = clients[name]
                if new_session:
                    await RasaControl(client).start_session(long_sender, METADATA)
                for sender, into in (
                    (long_sender, samples[name].long),
                    (fresh_sender, samples[name].fresh),
                ):
                    started = time.perf_counter()
                    await client.message(sender, text, METADATA)
                    into.append((time.perf_counter() - started) * 1000)
    finally:
        for client in clients.values():
            await client.close()
    return samples


def window(values: Sequence[float], mark: int) -> list[float]:
    low, high = max(1, mark - WINDOW + 1), min(len(values), mark + WINDOW)
    return list(values[low - 1 : high])


def ratio(top: Sequence[float], bottom: Sequence[float]) -> float:
    """Median of per-turn ratios: turns sent back to back share the machine's load."""
    return statistics.median(a / b for a, b in zip(top, bottom, strict=True))


def report(title: str, samples: dict[str, Samples]) -> None:
    enc, mem = samples["encrypted"], samples[BASELINE]
    turns = len(mem.long)
    marks = [mark for mark in MARKS if mark <= turns]
    print(f"\n{title}: {turns} turns; windows of turns mark-{WINDOW - 1}..mark+{WINDOW}")
    print(
        f"  {'turn':>4} {'encrypted p50':>14} {'in-memory p50':>14}"
        f" {'growth enc':>11} {'growth mem':>11} {'overhead':>9}"
    )
    for mark in marks:
        growth = {
            name: ratio(window(s.long, mark), window(s.fresh, mark)) for name, s in samples.items()
        }
        extra = (ratio(window(enc.long, mark), window(mem.long, mark)) - 1) * 100
        print(
            f"  {mark:>4} {statistics.median(window(enc.long, mark)):>11.1f} ms"
            f" {statistics.median(window(mem.long, mark)):>11.1f} ms"
            f" {growth['encrypted']:>10.2f}x {growth[BASELINE]:>10.2f}x {extra:>+8.0f}%"
        )
    extra = (ratio(enc.long, mem.long) - 1) * 100
    print(
        f"   all {statistics.median(enc.long):>11.1f} ms {statistics.median(mem.long):>11.1f} ms"
        f" {'':>23} {extra:>+8.0f}%"
    )
    print(
        f"  p99: encrypted {percentile(enc.long, 0.99):.0f} ms,"
        f" in-memory {percentile(mem.long, 0.99):.0f} ms"
    )


def store_alone(root: Path) -> None:
    """In-process cost of one turn in the store, by length of the open session.

    ``save`` appends a turn (normally one rewrite of the head and its bounded
    tail); ``rewrite`` is what storing the whole session per turn would cost.
    SQLite with ``durability: full`` pays one fsync per write; the memory backend
    shows the CPU part alone: serialising and sealing.
    """
    kek = root / "alone" / "kek.hex"
    load_or_create_key_file(kek, create=True)
    limits = JournalLimits()
    print(
        f"\nthe store alone, ms per turn (flush_after={limits.flush_after},"
        f" compact_after={limits.compact_after}); p50 of the 10 turns before"
    )
    print(f"  {'backend':>15} {'turns':>6} {'load':>6} {'save':>6} {'rewrite':>8}")
    backends: tuple[tuple[str, str, Durability], ...] = (
        ("sqlite relaxed", f"sqlite:///{root / 'alone' / 'relaxed.db'}", "relaxed"),
        ("sqlite full", f"sqlite:///{root / 'alone' / 'full.db'}", "full"),
        ("memory", f"memory://bench-{secrets.token_hex(4)}", "relaxed"),
    )
    for backend, url, durability in backends:
        settings = TrackerStoreSettings(url=url, key_file=kek, limits=limits, durability=durability)
        journal = settings.open_journal()
        sender, clock = "bench-alone", itertools.count(1)
        session: list[dict[str, object]] = [
            {"event": "action", "name": "action_session_start", "timestamp": next(clock)},
            {"event": "session_started", "timestamp": next(clock)},
        ]
        journal.save(sender, session)
        saves: list[float] = []
        loads: list[float] = []
        for n in range(1, 201):
            loads.append(_timed(lambda: journal.current(sender)))  # noqa: B023
            session += _turn_events(n, clock)
            snapshot = list(session)
            saves.append(_timed(lambda: journal.save(sender, snapshot)))  # noqa: B023
            if n in (10, 50, 100, 200):
                rewrite = [
                    _timed(lambda: journal.vault.put("bench_whole", sender, "s", snapshot))  # noqa: B023
                    for _ in range(5)
                ]
                print(
                    f"  {backend:>15} {n:>6} {statistics.median(loads[-10:]):>6.2f}"
                    f" {statistics.median(saves[-10:]):>6.2f} {statistics.median(rewrite):>8.2f}"
                )
        journal.vault.close()


def _timed(operation: Callable[[], object]) -> float:
    started = time.perf_counter()
    operation()
    return (time.perf_counter() - started) * 1000


def _turn_events(n: int, clock: Iterator[int]) -> list[dict[str, object]]:
    text = f"svar {n} " + "x" * 40
    return [
        {"event": "user", "text": text, "timestamp": next(clock), "parse_data": {"text": text}},
        {"event": "slot", "name": "mood", "value": text, "timestamp": next(clock)},
        {"event": "action", "name": "utter_next", "timestamp": next(clock)},
        {"event": "bot", "text": "Hur har du mått?", "timestamp": next(clock)},
        {"event": "action", "name": "action_listen", "timestamp": next(clock)},
    ]


async def run(turns: int, no_session_turns: int) -> None:
    root = Path(tempfile.mkdtemp(prefix="samtal-bench-tracker-"))
    actions, servers = await start_servers(root)
    try:
        await drive(servers, 20, session_every=10)  # warm-up: first requests are slow
        with_sessions = await drive(servers, turns, session_every=10)
        report("a new session every 10 turns (every check-in)", with_sessions)
        if no_session_turns:
            without = await drive(servers, no_session_turns, session_every=None)
            report("one session that never ends", without)
    finally:
        for server in servers.values():
            await server.process.stop()
        await actions.stop()
    try:
        store_alone(root)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.tracker")
    parser.add_argument("--turns", type=int, default=500)
    parser.add_argument("--no-session-turns", type=int, default=200)
    args = parser.parse_args([] if argv is None else argv)
    asyncio.run(run(args.turns, args.no_session_turns))


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
