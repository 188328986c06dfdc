"""A throwaway Redis server for tests: loopback, a free port, a temporary directory.

Rasa's RedisLockStore needs one when several Rasa servers share conversations.
The server runs from Debian's ``redis-server`` package (``make redis-setup``),
keeps nothing on disk, listens on 127.0.0.1 only and requires a random
password. Nothing is skipped: without the binary the fixture fails and says so.
"""

from __future__ import annotations

import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest


@dataclass
class RunningRedis:
    port: int
    root: Path
    process: subprocess.Popen[bytes] = field(repr=False)
    password: str = field(repr=False)
    host: str = "127.0.0.1"

    def lock_store(self, *, atomic: bool = True, db: int = 1) -> dict[str, object]:
        """The ``lock_store`` section of Rasa's endpoints.yml for this server.

        ``atomic`` picks samtal's AtomicRedisLockStore over Rasa's RedisLockStore,
        whose ticket updates race between servers (see its module).
        """
        return {
            "type": "safety.tracker_store.redis_lock.AtomicRedisLockStore" if atomic else "redis",
            "url": self.host,
            "port": self.port,
            "password": self.password,
            "db": db,
            "key_prefix": "samtal",
        }

    def command(self, *words: str) -> bytes:
        """Send one command (after AUTH) and return the raw reply."""
        with socket.create_connection((self.host, self.port), timeout=5) as conn:
            request = _resp("AUTH", self.password) + _resp(*words)
            conn.sendall(request)
            reply = b""
            while reply.count(b"\r\n") < 2:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                reply += chunk
        return reply.split(b"\r\n", 1)[1]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.root, ignore_errors=True)


def _resp(*words: str) -> bytes:
    parts = [f"*{len(words)}\r\n".encode()]
    for word in words:
        data = word.encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(parts)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_redis() -> RunningRedis:
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("Redis is not installed: run `make redis-setup`")
    root = Path(tempfile.mkdtemp(prefix="samtal-redis-"))
    password = secrets.token_urlsafe(24)
    port = _free_port()
    config = root / "redis.conf"
    config.write_text(
        f"port {port}\nbind 127.0.0.1\nprotected-mode yes\nrequirepass {password}\n"
        f'dir {root}\nsave ""\nappendonly no\ndaemonize no\nlogfile {root / "redis.log"}\n'
    )
    config.chmod(0o600)
    process = subprocess.Popen(
        [binary, str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    server = RunningRedis(port=port, root=root, process=process, password=password)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log = (root / "redis.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"redis-server exited:\n{log}")
        try:
            if server.command("PING").startswith(b"+PONG"):
                return server
        except OSError:
            pass
        time.sleep(0.05)
    server.stop()
    raise RuntimeError("redis-server did not answer within 20 s")


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RunningRedis]:
    server = start_redis()
    try:
        yield server
    finally:
        server.stop()
