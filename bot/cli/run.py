"""``samtal run``: the whole embedded stack in one command.

It stops every child however the launcher is told to stop: Ctrl-C (also when
piped, as in ``make run | tee run.log``, where the reader dies with the same
Ctrl-C), SIGTERM, a hang-up, or a closed stdout. A launcher that is killed
outright takes its children along through ``end_with_parent``. While running,
it restarts a child that died; one that keeps dying stops everything, and the
launcher exits non-zero.
"""

from __future__ import annotations

import asyncio
import os
import select
import signal
import sys
import time
from pathlib import Path

from bot.config import samtal_home
from bot.launcher.layout import StackLayout
from bot.launcher.stack import DEMO_PARTICIPANT, DEMO_SUPERVISOR, Stack, user_id
from bot.launcher.supervisor import GaveUp, supervise

PROJECT = Path(__file__).resolve().parents[2]
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
STDOUT_CHECK_SECONDS = 1.0


def say(text: str, stop: asyncio.Event) -> None:
    """Print for the person at the terminal; a vanished reader means: stop."""
    try:
        print(text, flush=True)
    except (BrokenPipeError, OSError):
        _silence_stdout()
        stop.set()


def _silence_stdout() -> None:
    # Later prints, and Python's own flush at exit, must not fail on the dead pipe.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def stdout_closed() -> bool:
    """True when stdout's reader is gone (a pipe with no reader, a hung-up tty)."""
    poller = select.poll()
    poller.register(sys.stdout.fileno(), 0)  # no events asked: only errors and hang-ups
    return any(
        mask & (select.POLLERR | select.POLLHUP | select.POLLNVAL) for _, mask in poller.poll(0)
    )


async def watch_stdout(stop: asyncio.Event) -> None:
    while not stop.is_set():
        if stdout_closed():
            _silence_stdout()
            stop.set()
            return
        await asyncio.sleep(STDOUT_CHECK_SECONDS)


async def start(stack: Stack, stop: asyncio.Event) -> None:
    started = time.monotonic()
    say("samtal: starting the homeserver …", stop)
    hs_layout = await stack.start_homeserver()
    await stack.provision(hs_layout)
    say("samtal: starting Rasa (training first if the dialogue data changed) …", stop)
    await stack.start_rasa()
    await stack.start_gateway()
    stack.write_stack_json()
    ready = time.monotonic() - started
    say(
        f"samtal: ready in {ready:.1f}s (training {stack.timings['rasa_train_s']:.1f}s)\n"
        f"  homeserver  {stack.homeserver_url}   bot {user_id('samtal')}\n"
        f"  talk to it  .venv/bin/samtal chat   (as {user_id(DEMO_PARTICIPANT)})\n"
        f"  health      {stack.monitoring_url}/healthz   metrics {stack.monitoring_url}/metrics\n"
        f"  console     {stack.console_url}   (log in as {user_id(DEMO_SUPERVISOR)})\n"
        f"  details     {stack.layout.stack_json}\n"
        "  stop        Ctrl-C",
        stop,
    )


async def run_stack() -> int:
    stack = Stack(project=PROJECT, layout=StackLayout(samtal_home()))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, stop.set)
    watcher = asyncio.create_task(watch_stdout(stop))
    stopping = asyncio.create_task(stop.wait())
    tasks = [watcher, stopping]
    exit_code = 0
    try:
        starting = asyncio.create_task(start(stack, stop))
        tasks.append(starting)
        # A stop during start-up (training can take minutes) cancels the start.
        await asyncio.wait({starting, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if not starting.done():
            return exit_code
        starting.result()  # a failed start raises here, after which we clean up
        supervising = asyncio.create_task(
            supervise(stack.children, stack.restart, lambda line: say(f"samtal: {line}", stop))
        )
        tasks.append(supervising)
        await asyncio.wait({supervising, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if supervising.done():
            try:
                supervising.result()
            except GaveUp:
                exit_code = 1
    finally:
        for task in tasks:
            task.cancel()
        say("samtal: stopping …", stop)
        await stack.stop()
    return exit_code
