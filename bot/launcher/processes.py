"""Child processes with a log file each, readiness probes and clean stops."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import aiohttp

from bot.errors import SamtalError
from bot.launcher.child_env import child_env
from bot.launcher.parent_death import end_with_parent


class ProcessStartError(SamtalError):
    """A child process died or did not become ready in time."""


class ManagedProcess:
    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        log_path: Path,
        *,
        cwd: Path,
        env: Mapping[str, str] | None = None,
        keep_secrets: bool = False,
    ) -> None:
        self.name = name
        self._argv = list(argv)
        self.log_path = log_path
        self._cwd = cwd
        self._env = child_env(env, keep_secrets=keep_secrets)
        self._proc: asyncio.subprocess.Process | None = None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.returncode is None

    @property
    def pid(self) -> int | None:
        """The process (and process group) id while it runs."""
        return self._proc.pid if self.running and self._proc is not None else None

    async def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            self._proc = await asyncio.create_subprocess_exec(
                *self._argv,
                cwd=self._cwd,
                env=self._env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=fd,
                stderr=fd,
                # Its own process group: a Ctrl-C reaches the launcher only, which
                # then stops the children in order (gateway first, homeserver last).
                start_new_session=True,
                preexec_fn=end_with_parent(),
            )
        finally:
            os.close(fd)

    async def wait_http(self, url: str, timeout: float) -> float:
        """Poll ``url`` until it answers 200; return the seconds it took."""
        started = time.monotonic()
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as http:
            while time.monotonic() - started < timeout:
                if not self.running:
                    raise ProcessStartError(f"{self.name} exited; see {self.log_path}")
                with contextlib.suppress(aiohttp.ClientError, asyncio.TimeoutError):
                    async with http.get(url) as response:
                        if response.status == 200:
                            return time.monotonic() - started
                await asyncio.sleep(0.25)
        raise ProcessStartError(f"{self.name} not ready after {timeout:.0f}s; see {self.log_path}")

    async def stop(self, grace: float = 10.0) -> None:
        proc = self._proc
        if proc is None or proc.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), grace)
        except asyncio.TimeoutError:
            self._kill_group(proc.pid)
            await proc.wait()
        except BaseException:  # cancelled while waiting: never leave the child behind
            self._kill_group(proc.pid)
            raise

    async def kill(self) -> None:
        """SIGKILL, no grace: how a crash or the OOM killer ends a process."""
        proc = self._proc
        if proc is None or proc.returncode is not None:
            return
        self._kill_group(proc.pid)
        await proc.wait()

    @staticmethod
    def _kill_group(pid: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
