"""Run the embedded Synapse as a child process and wait until it serves clients."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
from pathlib import Path
from types import TracebackType

import aiohttp

from bot.launcher.child_env import child_env
from bot.launcher.homeserver.config import HomeserverLayout
from bot.launcher.homeserver.errors import HomeserverConfigError, HomeserverStartError
from bot.launcher.homeserver.interpreter import synapse_python
from bot.launcher.parent_death import end_with_parent

__all__ = ["SynapseProcess", "free_port"]

_POLL_INTERVAL_S = 0.05
_STOP_GRACE_S = 10.0
_TAIL_LINES = 30


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class SynapseProcess:
    """One Synapse homeserver process for a layout from ``write_homeserver_config``."""

    def __init__(self, layout: HomeserverLayout) -> None:
        self._layout = layout
        self._proc: asyncio.subprocess.Process | None = None

    @property
    def base_url(self) -> str:
        return self._layout.base_url

    @property
    def layout(self) -> HomeserverLayout:
        return self._layout

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.returncode is None

    async def start(self, timeout: float = 30) -> None:
        """Spawn Synapse and return once ``/_matrix/client/versions`` answers 200."""
        if self.running:
            raise HomeserverStartError("Synapse is already running")
        layout = self._layout
        try:
            python = synapse_python()
        except HomeserverConfigError as exc:
            raise HomeserverStartError(str(exc)) from exc
        out_fd = os.open(layout.output_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            self._proc = await asyncio.create_subprocess_exec(
                str(python),
                "-m",
                "synapse.app.homeserver",
                "--config-path",
                str(layout.config_path),
                stdin=subprocess.DEVNULL,
                stdout=out_fd,
                stderr=subprocess.STDOUT,
                cwd=layout.data_dir,
                umask=0o077,
                env=child_env(),
                # Stopped by the launcher after the gateway, not by the terminal's Ctrl-C.
                start_new_session=True,
                preexec_fn=end_with_parent(),
            )
        except OSError as exc:
            raise HomeserverStartError(f"could not spawn Synapse: {exc}") from exc
        finally:
            os.close(out_fd)
        try:
            await self._wait_ready(timeout)
        except BaseException:
            await self.stop()
            raise

    async def _wait_ready(self, timeout: float) -> None:
        proc = self._proc
        assert proc is not None
        url = f"{self.base_url}/_matrix/client/versions"
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        probe_timeout = aiohttp.ClientTimeout(total=2)
        async with aiohttp.ClientSession(timeout=probe_timeout) as session:
            while True:
                if proc.returncode is not None:
                    raise HomeserverStartError(
                        f"Synapse exited with code {proc.returncode} during start-up\n"
                        + self.log_tail()
                    )
                with contextlib.suppress(aiohttp.ClientError, asyncio.TimeoutError):
                    async with session.get(url) as response:
                        if response.status == 200:
                            return
                if loop.time() >= deadline:
                    raise HomeserverStartError(
                        f"Synapse did not answer on {self.base_url} within {timeout:g} s\n"
                        + self.log_tail()
                    )
                await asyncio.sleep(_POLL_INTERVAL_S)

    async def stop(self) -> None:
        """SIGTERM, then SIGKILL if Synapse has not exited after 10 s. Idempotent."""
        proc, self._proc = self._proc, None
        if proc is None or proc.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), _STOP_GRACE_S)
        except asyncio.TimeoutError:
            _kill(proc)
            await proc.wait()
        except BaseException:  # cancelled while waiting: never leave Synapse behind
            _kill(proc)
            raise

    def log_tail(self, lines: int = _TAIL_LINES) -> str:
        """The last lines of Synapse's process output and of its WARNING-level log."""
        parts = []
        for path in (self._layout.output_path, self._layout.log_path):
            parts.append(f"--- {path.name} ---\n{_tail(path, lines)}")
        return "\n".join(parts)

    async def __aenter__(self) -> SynapseProcess:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()


def _kill(proc: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError):
        proc.kill()


def _tail(path: Path, lines: int) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(missing)"
    return "\n".join(text.splitlines()[-lines:]) or "(empty)"
