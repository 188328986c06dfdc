"""A throwaway PostgreSQL server for tests and benchmarks.

``initdb`` into a fresh temporary directory, then start the server on
127.0.0.1 and a free port, with no Unix socket and a random password. As root
the server runs as the ``postgres`` user (Debian's package creates it), since
PostgreSQL refuses to run as root. Nothing is skipped: if the binaries are
missing the fixture fails and says to run ``make postgres-setup``.

Use from a test module with ``pytest_plugins = ["tests.support.postgres_fixtures"]``
(or from the root conftest); every test then asks ``postgres_server.new_database()``.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest

_SUPERUSER = "samtal"
# Tests want speed, not crash safety; the benchmark asks for a durable server.
_FAST = ("fsync=off", "synchronous_commit=off", "full_page_writes=off")


@dataclass(frozen=True)
class RunningPostgres:
    port: int
    data_dir: Path
    bindir: Path
    start_seconds: float
    run_as: tuple[str, ...]
    password: str = field(repr=False)
    host: str = "127.0.0.1"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{_SUPERUSER}:{self.password}@{self.host}:{self.port}/{database}"

    def new_database(self, prefix: str = "vault") -> str:
        """Create an empty database and return its URL."""
        name = f"{prefix}_{secrets.token_hex(6)}"
        with psycopg.connect(self.url(), autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        pg_ctl = [str(self.bindir / "pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "-w"]
        subprocess.run([*self.run_as, *pg_ctl, "stop"], capture_output=True, check=False)
        shutil.rmtree(self.data_dir.parent, ignore_errors=True)


def postgres_bindir() -> Path:
    """Debian keeps the server binaries outside PATH, one folder per major version."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: p.parts[-3])
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    if initdb is None:
        raise RuntimeError("PostgreSQL is not installed: run `make postgres-setup`")
    return Path(initdb).parent


def _run_as() -> tuple[tuple[str, ...], int | None]:
    if os.geteuid() != 0:
        return (), None
    try:
        uid = pwd.getpwnam("postgres").pw_uid
    except KeyError as exc:
        raise RuntimeError(
            "no postgres user to run the server as: run `make postgres-setup`"
        ) from exc
    return ("runuser", "-u", "postgres", "--"), uid


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_postgres(*, durable: bool = False) -> RunningPostgres:
    """Initialise and start a private server; the caller must ``stop()`` it."""
    started = time.monotonic()
    bindir = postgres_bindir()
    run_as, uid = _run_as()
    root = Path(tempfile.mkdtemp(prefix="samtal-pg-"))
    data_dir, pwfile = root / "data", root / "pw"
    password = secrets.token_urlsafe(24)
    pwfile.write_text(password)
    if uid is not None:
        os.chown(root, uid, -1)
        os.chown(pwfile, uid, -1)
    initdb = [
        str(bindir / "initdb"),
        "-D",
        str(data_dir),
        "-U",
        _SUPERUSER,
        "--pwfile",
        str(pwfile),
    ]
    initdb += ["--auth=scram-sha-256", "--encoding=UTF8", "--no-locale", "--no-sync"]
    subprocess.run([*run_as, *initdb], capture_output=True, check=True, cwd=root)
    pwfile.unlink()
    port = _free_port()
    settings = ["listen_addresses=127.0.0.1", f"port={port}", "unix_socket_directories=''"]
    settings += [] if durable else list(_FAST)
    options = " ".join(f"-c {setting}" for setting in settings)
    pg_ctl = [str(bindir / "pg_ctl"), "-D", str(data_dir), "-l", str(root / "server.log")]
    result = subprocess.run(
        [*run_as, *pg_ctl, "-w", "-t", "60", "-o", options, "start"],
        capture_output=True,
        check=False,
        cwd=root,
    )
    if result.returncode != 0:
        log = (root / "server.log").read_text(errors="replace")[-2000:]
        raise RuntimeError(f"PostgreSQL did not start:\n{log}")
    return RunningPostgres(
        port=port,
        data_dir=data_dir,
        bindir=bindir,
        start_seconds=time.monotonic() - started,
        run_as=run_as,
        password=password,
    )


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[RunningPostgres]:
    server = start_postgres()
    try:
        yield server
    finally:
        server.stop()
