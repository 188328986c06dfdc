"""``make run`` stops every process it started, however it is stopped.

These start the stack exactly as a newcomer does (``make run``) in a home of
their own, then stop it the way people do: Ctrl-C on a piped run, or by
closing the pipe it writes to. Afterwards no process that carries that home in
its environment may be left.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

PROJECT = Path(__file__).resolve().parents[2]
READY = b"samtal: ready"
START_TIMEOUT_S = 300.0
STOP_TIMEOUT_S = 60.0


def processes_of(home: Path) -> list[int]:
    """Pids of every live process started for ``home`` (found by its environment)."""
    marker = b"SAMTAL_HOME=" + bytes(home)
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes().split(b"\0")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if marker in environ and state != "Z":
            found.append(int(entry.name))
    return found


def run_env(home: Path) -> dict[str, str]:
    # Not the jobserver of the make that runs the tests: this make is a newcomer's.
    inherited = {
        k: v for k, v in os.environ.items() if k not in {"MAKEFLAGS", "MFLAGS", "MAKELEVEL"}
    }
    return {**inherited, "SAMTAL_HOME": str(home)}


def gateway_pid(home: Path) -> int:
    for pid in processes_of(home):
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"bot.cli.main" in argv and b"gateway" in argv:
            return pid
    raise AssertionError("no gateway process")


def read_until_ready(fd: int, marker: bytes = READY) -> bytes:
    seen = b""
    deadline = time.monotonic() + START_TIMEOUT_S
    while marker not in seen:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"make run not ready in time:\n{seen.decode()[-2000:]}")
        readable, _, _ = select.select([fd], [], [], min(remaining, 5.0))
        if readable:
            chunk = os.read(fd, 65536)
            if not chunk:
                raise AssertionError(f"make run ended before ready:\n{seen.decode()[-2000:]}")
            seen += chunk
    return seen


def wait_all_gone(home: Path) -> list[int]:
    deadline = time.monotonic() + STOP_TIMEOUT_S
    left = processes_of(home)
    while left and time.monotonic() < deadline:
        time.sleep(0.5)
        left = processes_of(home)
    return left


def kill_leftovers(pids: list[int]) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def test_ctrl_c_on_a_piped_make_run_stops_every_child(tmp_path: Path) -> None:
    home = tmp_path / "home"
    read_end, write_end = os.pipe()
    # Ctrl-C signals the whole foreground job: make, the launcher and the reader.
    job = subprocess.Popen(
        ["bash", "-c", "make -s --no-print-directory run | cat"],
        cwd=PROJECT,
        env=run_env(home),
        stdin=subprocess.DEVNULL,
        stdout=write_end,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    os.close(write_end)
    try:
        read_until_ready(read_end)
        started = processes_of(home)
        # Synapse, Rasa, the action server, the gateway and the launcher itself.
        assert len(started) >= 5, started
        os.killpg(job.pid, signal.SIGINT)
        job.wait(STOP_TIMEOUT_S)
        left = wait_all_gone(home)
        assert left == [], f"processes left behind: {left}"
    finally:
        os.close(read_end)
        kill_leftovers(processes_of(home))
        if job.poll() is None:
            os.killpg(job.pid, signal.SIGKILL)


def test_a_killed_gateway_comes_back_and_a_closed_stdout_stops_every_child(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    read_end, write_end = os.pipe()
    job = subprocess.Popen(
        ["make", "-s", "--no-print-directory", "run"],
        cwd=PROJECT,
        env=run_env(home),
        stdin=subprocess.DEVNULL,
        stdout=write_end,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    os.close(write_end)
    try:
        read_until_ready(read_end)
        assert len(processes_of(home)) >= 5
        # A crashed gateway is started again by the launcher, not left dead.
        crashed = gateway_pid(home)
        os.kill(crashed, signal.SIGKILL)
        read_until_ready(read_end, b"gateway is running again")
        assert gateway_pid(home) != crashed
        # The reader goes away (a closed terminal tab, a killed `tee`); no signal comes.
        os.close(read_end)
        read_end = -1
        job.wait(STOP_TIMEOUT_S)
        left = wait_all_gone(home)
        assert left == [], f"processes left behind: {left}"
    finally:
        if read_end >= 0:
            os.close(read_end)
        kill_leftovers(processes_of(home))
        if job.poll() is None:
            os.killpg(job.pid, signal.SIGKILL)
