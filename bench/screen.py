"""Risk screen: latency of one message and throughput on one core, through `assess`.

Messages are the held-out test split (real variety of length), each screened once
with an empty encoder cache, so no figure comes from a memoised embedding.
"""

from __future__ import annotations

import os
import time

from bench.stats import summary
from safety.risk.assess import assess, warm_up
from safety.risk.context import RiskContext
from safety.risk.dataset import load_all, split
from safety.risk.encoder import load_encoder

TARGET_P99_MS = 25.0
TARGET_PER_SECOND = 200.0


def main() -> None:
    cores = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(cores)})  # one core, as the target says
    try:
        run()
    finally:
        os.sched_setaffinity(0, cores)  # the suites after this one get both cores back


def run() -> None:
    warm_up()
    encoder = load_encoder()
    _, test = split(load_all())
    timings: list[float] = []
    start = time.perf_counter()
    for example in test:
        encoder._cache.clear()
        began = time.perf_counter()
        assess(example.text, RiskContext(language=example.lang))
        timings.append((time.perf_counter() - began) * 1000)
    elapsed = time.perf_counter() - start
    print(f"messages: {len(test)} (held-out split), one core, cache cleared per message")
    print(f"latency: {summary(timings)}   (target p99 ≤ {TARGET_P99_MS:.0f} ms)")
    print(f"throughput: {len(test) / elapsed:,.0f} messages/s   (target ≥ {TARGET_PER_SECOND:.0f})")
    words = sorted(len(e.text.split()) for e in test)
    print(f"message length, words: median {words[len(words) // 2]}, max {words[-1]}")


if __name__ == "__main__":
    main()
