"""Element users in the tests: matrix-js-sdk with Rust crypto, driven from Python.

Each ``ElementClient`` is one ``node tests/element/driver.mjs`` process speaking JSON
lines (see that file for the commands). The process is always killed on close, and
the ``element`` fixture closes every client a test opened, so none outlives its test.

Element runs in "exclude insecure devices" mode unless ``SAMTAL_ELEMENT_ISOLATION``
says ``all_devices`` (the legacy mode), which shows whether a failure is about device
signing or about anything else.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import pytest_asyncio

if TYPE_CHECKING:
    from tests.conftest import RunningStack

DRIVER_DIR = Path(__file__).resolve().parents[1] / "element"
DRIVER = DRIVER_DIR / "driver.mjs"
ISOLATION = os.environ.get("SAMTAL_ELEMENT_ISOLATION", "only_signed")
# A page quoting a long message is one long line; asyncio's 64 KiB default is too short.
LINE_LIMIT = 16 * 1024 * 1024


class ElementError(Exception):
    """A command the driver answered with an error (its name, message and details)."""

    def __init__(self, cmd: str, error: dict[str, Any]) -> None:
        self.name = str(error.get("name", "Error"))
        self.details = error
        super().__init__(f"{cmd}: {self.name}: {error.get('message', '')} {error}")


@dataclass(frozen=True)
class Message:
    event_id: str
    sender: str
    body: str
    msgtype: str
    shield: str | None
    shield_reason: str | None
    # When Element could show it: in the timeline and decrypted (seconds since the epoch,
    # the clock of time.time() on the same machine).
    arrived_at: float | None = None


@dataclass(frozen=True)
class Received:
    messages: list[Message]
    undecryptable: list[dict[str, Any]]
    next_mark: int

    @property
    def text(self) -> str:
        return "\n".join(m.body for m in self.messages)


class ElementClient:
    def __init__(self, process: asyncio.subprocess.Process, log: Path) -> None:
        self._process = process
        self.log = log
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._reader = asyncio.create_task(self._read_answers())
        self.user_id = ""
        self.device_id = ""

    @classmethod
    async def launch(cls, log: Path) -> ElementClient:
        node = shutil.which("node")
        if node is None:
            raise RuntimeError(
                "Node.js is missing: Element's SDK runs on it (apt-get install nodejs)"
            )
        if not (DRIVER_DIR / "node_modules" / "matrix-js-sdk").is_dir():
            raise RuntimeError(
                f"Element's SDK is not installed in {DRIVER_DIR}: make element-setup"
            )
        with log.open("ab") as stderr:
            process = await asyncio.create_subprocess_exec(
                node,
                str(DRIVER),
                cwd=DRIVER_DIR,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=stderr,
                limit=LINE_LIMIT,
            )
        return cls(process, log)

    async def _read_answers(self) -> None:
        assert self._process.stdout is not None
        try:
            while line := await self._process.stdout.readline():
                try:
                    answer = json.loads(line)
                except json.JSONDecodeError:
                    continue  # not the protocol; the driver keeps its own logs on stderr
                if not isinstance(answer, dict) or not isinstance(answer.get("id"), int):
                    continue
                future = self._pending.pop(answer["id"], None)
                if future is not None and not future.done():
                    future.set_result(answer)
        finally:
            gone = ElementError("driver", {"name": "DriverExited", "message": f"see {self.log}"})
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(gone)
            self._pending.clear()

    async def call(self, cmd: str, timeout: float = 60, **args: Any) -> dict[str, Any]:
        """Run one driver command; its result, or ElementError."""
        assert self._process.stdin is not None
        request_id = next(self._ids)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        line = json.dumps({"id": request_id, "cmd": cmd, **args}) + "\n"
        self._process.stdin.write(line.encode())
        await self._process.stdin.drain()
        try:
            async with asyncio.timeout(timeout):
                answer = await future
        finally:
            self._pending.pop(request_id, None)
        if not answer.get("ok"):
            raise ElementError(cmd, answer.get("error") or {})
        result: dict[str, Any] = answer.get("result") or {}
        return result

    async def login(self, homeserver: str, user_id: str, password: str) -> None:
        session = await self.call(
            "login", homeserver=homeserver, user_id=user_id, password=password
        )
        self.user_id, self.device_id = session["user_id"], session["device_id"]

    async def start(self, isolation: str = ISOLATION) -> None:
        await self.call("start", timeout=120, isolation=isolation)

    async def bootstrap_cross_signing(self) -> bool:
        return bool((await self.call("bootstrap_cross_signing"))["signed_by_owner"])

    async def create_dm(self, user_id: str, timeout: float = 30) -> str:
        result = await self.call(
            "create_dm", timeout=timeout + 10, invite=user_id, timeout_ms=int(timeout * 1000)
        )
        return str(result["room_id"])

    async def mark(self) -> int:
        return int((await self.call("mark"))["mark"])

    async def send_text(self, room_id: str, body: str) -> str:
        return (await self.send_text_at(room_id, body))[0]

    async def send_text_at(self, room_id: str, body: str) -> tuple[str, float]:
        """Send ``body``; its event id and when the SDK was handed it (time.time() clock)."""
        result = await self.call("send_text", room_id=room_id, body=body)
        return str(result["event_id"]), float(result["sent_ms"]) / 1000

    async def echo(self) -> None:
        """Become a bare echo bot: every text from someone else comes back as a notice."""
        await self.call("echo")

    async def rooms(self) -> list[dict[str, str]]:
        """The rooms Element knows: room_id, name and the user's membership."""
        rooms: list[dict[str, str]] = (await self.call("rooms"))["rooms"]
        return rooms

    async def send_reaction(self, room_id: str, event_id: str, key: str = "✅") -> str:
        result = await self.call("send_reaction", room_id=room_id, event_id=event_id, key=key)
        return str(result["event_id"])

    async def wait_messages(
        self,
        room_id: str,
        since: int,
        *,
        sender: str | None = None,
        count: int = 1,
        contains: str = "",
        timeout: float = 30,
        quiet: float = 0,
    ) -> Received:
        """At least ``count`` messages from others since ``since``, then until ``quiet`` s pass."""
        result = await self.call(
            "wait_messages",
            timeout=timeout + quiet + 30,
            room_id=room_id,
            since=since,
            sender=sender,
            count=count,
            contains=contains,
            timeout_ms=int(timeout * 1000),
            quiet_ms=int(quiet * 1000),
        )
        messages = [
            Message(
                event_id=m["event_id"],
                sender=m["sender"],
                body=m["body"] or "",
                msgtype=m["msgtype"] or "",
                shield=m["shield"],
                shield_reason=m["shield_reason"],
                arrived_at=float(m["arrived_ms"]) / 1000 if m.get("arrived_ms") else None,
            )
            for m in result["messages"]
        ]
        return Received(messages, list(result["undecryptable"]), int(result["next"]))

    async def device_status(self, user_id: str) -> dict[str, dict[str, bool]]:
        """Element's view of each of ``user_id``'s devices (signed_by_owner, ...)."""
        devices: dict[str, dict[str, bool]] = (await self.call("device_status", user_id=user_id))[
            "devices"
        ]
        return devices

    @property
    def returncode(self) -> int | None:
        return self._process.returncode

    async def close(self) -> None:
        """Stop the driver; kill it if it does not go in time. Never leaves a process."""
        try:
            if self._process.returncode is None:
                with contextlib.suppress(Exception):
                    await self.call("stop", timeout=5)
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(5):
                        await self._process.wait()
        finally:
            if self._process.returncode is None:
                self._process.kill()
                await self._process.wait()
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader


OpenElement = Callable[[str, str], Awaitable[ElementClient]]


@dataclass
class ElementUsers:
    """Opens logged-in, syncing Element clients; closes them all at the end of a test."""

    homeserver: str
    log_dir: Path
    clients: list[ElementClient] = field(default_factory=list)

    async def open(self, user_id: str, password: str, isolation: str = ISOLATION) -> ElementClient:
        name = user_id.split(":")[0].lstrip("@")
        client = await ElementClient.launch(
            self.log_dir / f"element-{name}-{len(self.clients)}.log"
        )
        self.clients.append(client)
        await client.login(self.homeserver, user_id, password)
        await client.start(isolation)
        return client

    async def close(self) -> None:
        # Log out first: a device left behind would be encrypted to for the rest of the run.
        for client in self.clients:
            try:
                if client.user_id:
                    with contextlib.suppress(ElementError, TimeoutError):
                        await client.call("logout", timeout=15)
            finally:
                await client.close()


@pytest_asyncio.fixture
async def element(
    running_stack: RunningStack, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[ElementUsers]:
    users = ElementUsers(running_stack.stack.homeserver_url, tmp_path_factory.mktemp("element"))
    try:
        yield users
    finally:
        await users.close()
