"""Vault put/get latency and throughput on SQLite and PostgreSQL.

Each backend gets a fresh database: SQLite in a temporary directory (WAL,
synchronous=FULL, as the vault runs it), PostgreSQL as a private, durable
server (fsync on) started for the run. Records are 512 bytes of JSON spread
over 50 owners, written and read one at a time from one thread, as the
gateway does per turn.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from safety.vault import FileKeyProvider, Vault, open_vault

RECORDS = 2000
OWNERS = 50
VALUE = {"text": "x" * 480}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _timed(operation: Callable[[int], object]) -> tuple[list[float], float]:
    latencies = []
    started = time.perf_counter()
    for n in range(RECORDS):
        before = time.perf_counter()
        operation(n)
        latencies.append((time.perf_counter() - before) * 1000)
    return latencies, time.perf_counter() - started


def measure(name: str, vault: Vault) -> dict[str, float]:
    for owner in range(OWNERS):  # data keys exist, as for enrolled participants
        vault.put("warm", f"p{owner}", "k", 0)
    puts, put_seconds = _timed(lambda n: vault.put("bench", f"p{n % OWNERS}", f"k{n}", VALUE))
    gets, get_seconds = _timed(lambda n: vault.get("bench", f"p{n % OWNERS}", f"k{n}"))
    result = {
        "put_p50_ms": statistics.median(puts),
        "put_p99_ms": percentile(puts, 0.99),
        "put_per_s": RECORDS / put_seconds,
        "get_p50_ms": statistics.median(gets),
        "get_p99_ms": percentile(gets, 0.99),
        "get_per_s": RECORDS / get_seconds,
    }
    print(
        f"{name:<10} put p50 {result['put_p50_ms']:.3f} ms  p99 {result['put_p99_ms']:.3f} ms"
        f"  {result['put_per_s']:,.0f}/s | get p50 {result['get_p50_ms']:.3f} ms"
        f"  p99 {result['get_p99_ms']:.3f} ms  {result['get_per_s']:,.0f}/s"
    )
    return result


def main() -> None:
    keys = FileKeyProvider(os.urandom(32), "bench")
    print(f"vault: {RECORDS} records of {len(str(VALUE))} bytes, {OWNERS} owners, one thread")
    with tempfile.TemporaryDirectory(prefix="samtal-bench-vault-") as tmp:
        vault = Vault(Path(tmp) / "vault.db", keys)
        measure("sqlite", vault)
        vault.close()
    from tests.support.postgres_fixtures import start_postgres

    server = start_postgres(durable=True)
    try:
        print(f"postgresql server started in {server.start_seconds:.2f} s")
        vault = open_vault(server.new_database("bench"), keys)
        measure("postgresql", vault)
        vault.close()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
