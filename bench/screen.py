"""Risk screen: latency of one message and throughput on one core, through `assess`.

Messages are the held-out test split (real variety of length), each screened once
with the encoder's memos emptied (texts and words), so no figure comes from a
memoised embedding or tokenisation.
"""

from __future__ import annotations

import os
import time

from bench.stats import summary
from safety.risk.assess import assess, warm_up
from safety.risk.context import RiskContext
from safety.risk.dataset import Example, load_all, split
from safety.risk.encoder import load_encoder

TARGET_P99_MS = 25.0
TARGET_PER_SECOND = 200.0


def _pin(cores: set[int]) -> None:
    # Every thread of the process, not only this one: a library's helper threads
    # (NumPy's BLAS starts one per core when it loads) would else run on the other core.
    for thread in os.listdir("/proc/self/task"):
        try:
            os.sched_setaffinity(int(thread), cores)
        except OSError:  # the thread ended meanwhile
            continue


def main() -> None:
    cores = os.sched_getaffinity(0)
    _pin({min(cores)})  # one core, as the target says
    try:
        run()
    finally:
        _pin(cores)  # the suites after this one get both cores back


def run() -> None:
    warm_up()
    encoder = load_encoder()
    _, test = split(load_all())
    timings: list[float] = []
    cpu_timings: list[float] = []
    start, cpu_start = time.perf_counter(), time.process_time()
    for example in test:
        encoder.forget()
        began, cpu_began = time.perf_counter(), time.process_time()
        assess(example.text, RiskContext(language=example.lang))
        timings.append((time.perf_counter() - began) * 1000)
        cpu_timings.append((time.process_time() - cpu_began) * 1000)
    elapsed, cpu_elapsed = time.perf_counter() - start, time.process_time() - cpu_start
    print(f"messages: {len(test)} (held-out split), one core, memos cleared per message")
    print(f"latency: {summary(timings)}   (target p99 ≤ {TARGET_P99_MS:.0f} ms)")
    print(f"throughput: {len(test) / elapsed:,.0f} messages/s   (target ≥ {TARGET_PER_SECOND:.0f})")
    # CPU time of the whole process (all its threads): the same work, without the
    # waits another process on the core adds, so a loaded machine still shows what the
    # screen costs.
    print(f"CPU time per message: {summary(cpu_timings)}")
    print(f"throughput by CPU time: {len(test) / cpu_elapsed:,.0f} messages/s")
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    words = sorted(len(e.text.split()) for e in test)
    print(f"message length, words: median {words[len(words) // 2]}, max {words[-1]}")
    longest(test)


# The most a Matrix event carries; the screen reads all of it (docs/safety.md).
LONGEST_MESSAGE = 64 * 1024


def longest(test: list[Example]) -> None:
    """The worst case one participant can send: the held-out messages run together to
    64 KB, read in overlapping stretches from end to end. Nothing bounds it but the
    event's size, so the figure is what one such message delays the pages queued
    behind it."""
    for lang in ("sv", "en"):
        text, texts = "", [e.text for e in test if e.lang == lang]
        while len(text.encode("utf-8")) < LONGEST_MESSAGE and texts:
            text += texts.pop() + " "
        text = text.encode("utf-8")[:LONGEST_MESSAGE].decode("utf-8", "ignore")
        load_encoder().forget()
        began = time.perf_counter()
        assess(text, RiskContext(language=lang))
        print(f"one 64 KB message ({lang}): {(time.perf_counter() - began) * 1000:,.0f} ms")


if __name__ == "__main__":
    main()
