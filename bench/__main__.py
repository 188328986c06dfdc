"""`make bench`: every benchmark, one after another, each printing its figures."""

from __future__ import annotations

import importlib
import sys

SUITES = (
    "bench.screen",
    "bench.vault",
    "bench.tracker",
    "bench.roundtrip",
    "bench.escalation",
    "bench.element",
)


def main() -> None:
    chosen = sys.argv[1:] or SUITES
    for name in chosen:
        print(f"\n== {name} ==", flush=True)
        importlib.import_module(name).main()


if __name__ == "__main__":
    main()
