"""Evaluate `assess` on the held-out test set and measure its throughput.

    .venv/bin/python -m safety.risk.evaluate [--split test|train] [--calls 20000] [--misses]

Targets: recall(high ∪ imminent) ≥ 0.95, no imminent scored below high, none escalation
≤ 5 %, ≥ 5,000 messages/s on one core. Prints figures and ids, never message text.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from safety.risk.assess import assess, warm_up
from safety.risk.context import RiskContext
from safety.risk.dataset import TEST_PATH, TRAIN_PATH, Example, load_examples
from safety.risk.levels import LEVELS, RiskLevel

HIGH, IMMINENT, ELEVATED = RiskLevel.HIGH, RiskLevel.IMMINENT, RiskLevel.ELEVATED


@dataclass(frozen=True)
class Report:
    """Scores of one run over labelled examples."""

    confusion: Counter[tuple[RiskLevel, RiskLevel]]
    misses: list[tuple[str, RiskLevel, RiskLevel, tuple[str, ...]]] = field(default_factory=list)

    def _count(self, gold: set[RiskLevel], pred: set[RiskLevel] | None = None) -> int:
        return sum(
            n for (g, p), n in self.confusion.items() if g in gold and (pred is None or p in pred)
        )

    @property
    def recall_high(self) -> float:
        """Share of gold high ∪ imminent scored high or imminent."""
        gold = {HIGH, IMMINENT}
        return self._count(gold, {HIGH, IMMINENT}) / max(1, self._count(gold))

    @property
    def imminent_below_high(self) -> int:
        return self._count({IMMINENT}, {RiskLevel.NONE, ELEVATED})

    def none_escalation(self, at_least: RiskLevel) -> float:
        """Share of gold none scored `at_least` or above."""
        lifted = {lv for lv in LEVELS if lv >= at_least}
        return self._count({RiskLevel.NONE}, lifted) / max(1, self._count({RiskLevel.NONE}))


def score(examples: Sequence[Example]) -> Report:
    """Assess every example (no history in the context) and tally gold against predicted."""
    report = Report(Counter())
    for ex in examples:
        result = assess(ex.text, RiskContext(language=ex.lang))
        report.confusion[(ex.level, result.level)] += 1
        if result.level != ex.level:
            report.misses.append((ex.example_id, ex.level, result.level, result.categories))
    return report


def throughput(texts: Sequence[str], calls: int) -> float:
    """Messages per second of `assess` in this process (one core), cycling over `texts`."""
    warm_up()
    ctx = RiskContext(language="sv")
    batch = [texts[i % len(texts)] for i in range(calls)]
    start = time.perf_counter()
    for text in batch:
        assess(text, ctx)
    return calls / (time.perf_counter() - start)


def _print_report(name: str, report: Report, total: int) -> None:
    print(f"{name}: {total} messages; rows = gold, columns = predicted")
    print("gold\\pred  " + "".join(lv.value.rjust(10) for lv in LEVELS))
    for gold in LEVELS:
        cells = "".join(str(report.confusion[(gold, p)]).rjust(10) for p in LEVELS)
        print(gold.value.ljust(11) + cells)
    print(f"recall(high ∪ imminent)        {report.recall_high:.3f}   (target ≥ 0.95)")
    print(f"imminent scored below high     {report.imminent_below_high}       (target 0)")
    print(f"none escalated to ≥ elevated   {report.none_escalation(ELEVATED):.1%}   (target ≤ 5 %)")
    print(f"none escalated to ≥ high       {report.none_escalation(HIGH):.1%}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Evaluate the risk assessment.")
    parser.add_argument("--split", choices=("test", "train"), default="test")
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--misses", action="store_true", help="list ids of wrong predictions")
    args = parser.parse_args(argv)
    path: Path = TEST_PATH if args.split == "test" else TRAIN_PATH
    examples = load_examples(path)
    report = score(examples)
    _print_report(path.name, report, len(examples))
    rate = throughput([e.text for e in examples], args.calls)
    print(f"throughput of assess           {rate:,.0f} msg/s over {args.calls:,} calls, one core")
    if args.misses:
        for ident, gold, pred, cats in report.misses:
            print(f"  {ident}: gold {gold.value}, got {pred.value} [{', '.join(cats)}]")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
