"""Evaluate the production screen on held-out families, or on other writers' messages.

    .venv-dev/bin/python -m safety.risk.evaluate [--plot docs/img/risk_pr.png] [--misses]
    .venv-dev/bin/python -m safety.risk.evaluate --cv [--misses]   # training families only
    .venv-dev/bin/python -m safety.risk.evaluate --unseen [--misses]  # other writers' messages
    .venv-dev/bin/python -m safety.risk.evaluate --decision  # once per candidate, by a rule

Every message goes through `assess`, the same call production and `samtal screen`
make. Figures are per language:
* recall of high ∪ imminent (scored high or imminent), target ≥ 0.97;
* imminent messages scored below high, target 0;
* ordinary `none` messages escalated (scored high or imminent, i.e. paged), target ≤ 3 %,
  and lifted to elevated or above (they would enter the digest);
* hard negatives (idioms, negations, quotes, counter-speech, …) escalated, reported apart;
* recall per taxonomy category.
Prints figures, category names and family ids, never message text.
"""

from __future__ import annotations

import argparse
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from safety.risk.assess import assess, pattern_signals, warm_up
from safety.risk.context import RiskContext
from safety.risk.dataset import (
    Example,
    is_hard_negative,
    load_all,
    load_decision,
    load_unseen,
    ordinary_families,
    split,
)
from safety.risk.encoder import load_encoder
from safety.risk.levels import LEVELS, RiskLevel
from safety.risk.semantic import lift, load_semantic_model, prepare

HIGH, IMMINENT, ELEVATED, NONE = (
    RiskLevel.HIGH,
    RiskLevel.IMMINENT,
    RiskLevel.ELEVATED,
    RiskLevel.NONE,
)


@dataclass
class Scores:
    """Tallies for one language (or all)."""

    confusion: Counter[tuple[RiskLevel, RiskLevel]] = field(default_factory=Counter)
    ordinary: list[RiskLevel] = field(default_factory=list)
    hard_negative: list[RiskLevel] = field(default_factory=list)
    per_category: dict[str, list[bool]] = field(default_factory=lambda: defaultdict(list))
    # Per style: recall of high ∪ imminent, and how often harmless messages were paged.
    per_style: dict[str, list[bool]] = field(default_factory=lambda: defaultdict(list))
    misses: list[tuple[str, str, str]] = field(default_factory=list)

    def add(self, example: Example, predicted: RiskLevel, hard_negative: bool) -> None:
        gold = example.level
        self.confusion[(gold, predicted)] += 1
        if gold is NONE:
            (self.hard_negative if hard_negative else self.ordinary).append(predicted)
        if example.category and gold is not NONE:
            floor = HIGH if gold >= HIGH else ELEVATED
            self.per_category[f"{example.category}/{gold.value}"].append(predicted >= floor)
        if gold >= HIGH:
            self.per_style[f"{example.style} (recall)"].append(predicted >= HIGH)
        elif gold is NONE:
            kind = "hard_negative" if hard_negative else "ordinary"
            self.per_style[f"{kind} {example.style} (paged)"].append(predicted >= HIGH)
        if (gold >= HIGH and predicted < HIGH) or (gold is NONE and predicted >= HIGH):
            self.misses.append((example.family, gold.value, predicted.value))

    def count(self, gold: set[RiskLevel], predicted: set[RiskLevel] | None = None) -> int:
        return sum(
            n
            for (g, p), n in self.confusion.items()
            if g in gold and (predicted is None or p in predicted)
        )

    @property
    def recall_high(self) -> float:
        return self.count({HIGH, IMMINENT}, {HIGH, IMMINENT}) / max(1, self.count({HIGH, IMMINENT}))

    @property
    def imminent_below_high(self) -> int:
        return self.count({IMMINENT}, {NONE, ELEVATED})

    @staticmethod
    def share(levels: Sequence[RiskLevel], at_least: RiskLevel) -> float:
        return sum(lv >= at_least for lv in levels) / max(1, len(levels))

    @property
    def ordinary_escalated(self) -> float:
        return self.share(self.ordinary, HIGH)

    @property
    def hard_negative_escalated(self) -> float:
        return self.share(self.hard_negative, HIGH)


def score(examples: Sequence[Example]) -> dict[str, Scores]:
    """Assess every example with no history; tallies per language and for all ('all')."""
    warm_up()
    ordinary = ordinary_families()
    result: dict[str, Scores] = defaultdict(Scores)
    for example in examples:
        predicted = assess(example.text, RiskContext(language=example.lang)).level
        hard = is_hard_negative(example, ordinary)
        result[example.lang].add(example, predicted, hard)
        result["all"].add(example, predicted, hard)
    return dict(result)


def print_scores(name: str, s: Scores) -> None:
    total = sum(s.confusion.values())
    print(f"\n[{name}] {total} messages; rows = gold, columns = predicted")
    print("gold\\pred  " + "".join(lv.value.rjust(10) for lv in LEVELS))
    for gold in LEVELS:
        print(gold.value.ljust(11) + "".join(str(s.confusion[(gold, p)]).rjust(10) for p in LEVELS))
    print(f"recall(high ∪ imminent)            {s.recall_high:.3f}  (target ≥ 0.97)")
    print(f"imminent scored below high         {s.imminent_below_high}      (target 0)")
    print(
        f"ordinary none escalated (≥ high)   {s.ordinary_escalated:.1%} of {len(s.ordinary)}"
        f"  (target ≤ 3 %); to ≥ elevated {s.share(s.ordinary, ELEVATED):.1%}"
    )
    print(
        f"hard negatives escalated (≥ high)  {s.hard_negative_escalated:.1%}"
        f" of {len(s.hard_negative)}; to ≥ elevated {s.share(s.hard_negative, ELEVATED):.1%}"
    )


def print_categories(s: Scores) -> None:
    print("\nrecall per category/level (high and imminent: scored ≥ high; elevated: ≥ elevated)")
    for key in sorted(s.per_category):
        hits = s.per_category[key]
        print(f"  {key:38s} {sum(hits) / len(hits):.3f}  ({sum(hits)}/{len(hits)})")


# The sets of other writers' messages in the order they were written, named by the first
# two letters of a family id: a set first read after a change is told from one read before.
UNSEEN_SETS = ("uw", "u2", "u3")


def unseen_sets(examples: Sequence[Example]) -> dict[str, list[Example]]:
    """Other writers' messages by set, in `UNSEEN_SETS` order (any other set after)."""
    sets: dict[str, list[Example]] = defaultdict(list)
    for example in examples:
        sets[example.family[:2]].append(example)
    order = {name: index for index, name in enumerate(UNSEEN_SETS)}
    return dict(sorted(sets.items(), key=lambda item: (order.get(item[0], len(order)), item[0])))


def print_summary(name: str, scores: dict[str, Scores]) -> None:
    for lang in sorted(n for n in scores if n != "all"):
        s = scores[lang]
        print(
            f"  {name} {lang}: recall {s.recall_high:.3f}, imminent below high"
            f" {s.imminent_below_high} of {s.count({IMMINENT})}, ordinary paged"
            f" {s.ordinary_escalated:.1%} of {len(s.ordinary)}, hard negatives paged"
            f" {s.hard_negative_escalated:.1%} of {len(s.hard_negative)}"
        )


def print_styles(scores: dict[str, Scores]) -> None:
    print("\nby style")
    for lang in sorted(name for name in scores if name != "all"):
        for key, hits in sorted(scores[lang].per_style.items()):
            print(f"  {lang} {key:41s} {sum(hits) / len(hits):.3f}  ({sum(hits)}/{len(hits)})")


def encoder_scores(examples: Sequence[Example]) -> np.ndarray:
    """P(≥ high) from the encoder alone (for the precision-recall plot)."""
    model, encoder = load_semantic_model(), load_encoder()
    out = []
    for example in examples:
        text = prepare(example.text)
        out.append(float(model.cumulative(encoder.encode(text)[None, :], [text])[0, 1]))
    return np.array(out)


def plot_precision_recall(examples: Sequence[Example], path: Path) -> None:
    """Precision–recall of 'high or imminent' for the encoder alone, per language."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    threshold = load_semantic_model().thresholds[HIGH]
    fig, ax = plt.subplots(figsize=(6, 4.5), dpi=120)
    for lang in sorted({e.lang for e in examples}):
        subset = [e for e in examples if e.lang == lang]
        scores = encoder_scores(subset)
        positive = np.array([e.level >= HIGH for e in subset])
        order = np.argsort(-scores)
        hits = np.cumsum(positive[order])
        recall = hits / max(1, positive.sum())
        precision = hits / np.arange(1, len(order) + 1)
        ax.plot(recall, precision, label=f"{lang} (n={len(subset)})")
        chosen = np.argmin(np.abs(scores[order] - threshold))
        ax.scatter([recall[chosen]], [precision[chosen]], marker="o", zorder=3)
    ax.set_xlabel("recall of high ∪ imminent")
    ax.set_ylabel("precision")
    ax.set_title("Encoder heads on held-out families (dot: shipped threshold)")
    ax.set_xlim(0, 1.01)
    ax.set_ylim(0, 1.01)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def compare_sources(examples: Sequence[Example]) -> None:
    """Recall and ordinary escalation of patterns alone, encoder alone, and both."""
    model = load_semantic_model()
    ordinary = ordinary_families()
    rows: dict[str, list[tuple[Example, RiskLevel]]] = defaultdict(list)
    for e in examples:
        pattern = max((s.level for s in pattern_signals(e.text)), default=NONE)
        learned = model.signal(e.text)
        encoder = learned.level if learned else NONE
        rows["patterns only"].append((e, pattern))
        rows["encoder only"].append((e, encoder))
        rows["both (shipped)"].append((e, max(pattern, encoder)))
    print("\nsources:                     recall(high∪imm)  ordinary≥high  hard-neg≥high")
    for name, pairs in rows.items():
        s = Scores()
        for e, level in pairs:
            s.add(e, level, is_hard_negative(e, ordinary))
        print(
            f"  {name:26s} {s.recall_high:8.3f} {s.ordinary_escalated:14.1%}"
            f" {s.hard_negative_escalated:14.1%}"
        )


def cross_validate(show_misses: bool) -> None:
    """Grouped 5-fold cross-validation over the training families only, read as production
    reads a message (encoder heads out of fold, patterns, highest wins): which categories
    and styles are missed and which harmless messages are paged. The test split is not
    read. Thresholds are chosen on these out-of-fold scores, as training chooses them."""
    from safety.risk.train import out_of_fold, term_matrix

    train, _ = split(load_all())
    oof = out_of_fold(train, term_matrix(train))
    ordinary = ordinary_families()
    imminent_as_high = oof.thresholds[IMMINENT]
    result: dict[str, Scores] = defaultdict(Scores)
    for index, example in enumerate(train):
        if example.is_legacy:
            continue
        encoder = lift(oof.scores[index], oof.thresholds, imminent_as_high)
        pattern = max((s.level for s in pattern_signals(example.text)), default=NONE)
        predicted = max(encoder, pattern)
        hard = is_hard_negative(example, ordinary)
        for name in (example.lang, "all"):
            result[name].add(example, predicted, hard)
    print("out-of-fold, training families only (5 folds grouped by family)")
    print("thresholds " + ", ".join(f"{lv.value} {t:.2f}" for lv, t in oof.thresholds.items()))
    for name in sorted(result, key=lambda n: (n == "all", n)):
        print_scores(name, result[name])
    print_categories(result["all"])
    print_styles(result)
    if show_misses:
        for family, gold_level, got in result["all"].misses:
            print(f"  {family}: gold {gold_level}, got {got}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Evaluate the risk screen on held-out families.")
    parser.add_argument("--plot", type=Path, help="write a precision-recall PNG here")
    parser.add_argument("--misses", action="store_true", help="list family ids of misses")
    parser.add_argument("--compare", action="store_true", help="patterns vs encoder vs both")
    parser.add_argument(
        "--cv",
        action="store_true",
        help="cross-validation by family over the training split instead (test split unread)",
    )
    parser.add_argument(
        "--unseen",
        action="store_true",
        help="the messages by writers who never saw the data (data/risk/unseen) instead",
    )
    parser.add_argument(
        "--decision",
        action="store_true",
        help="the decision set (data/risk/decision) instead: read once per candidate,"
        " under a ship rule written down before, never to list its misses",
    )
    args = parser.parse_args(argv)
    if args.unseen and (args.cv or args.plot):
        parser.error("--unseen is scored as it is: not with --cv or --plot")
    if args.decision and (args.unseen or args.cv or args.plot or args.misses or args.compare):
        # Its misses would tell the next round of data what to write, and then it would no
        # longer decide anything.
        parser.error("--decision is read alone: its figures, not its messages")
    if args.cv:
        cross_validate(args.misses)
        return 0
    _, test = split(load_all())
    if args.unseen:
        test = load_unseen()
        print(f"messages by writers who never saw the data: {len(test)}")
    if args.decision:
        test = load_decision()
        print(f"the decision set: {len(test)} messages")
    scores = score(test)
    for name in sorted(scores, key=lambda n: (n == "all", n)):
        print_scores(name, scores[name])
    if args.decision:
        return 0
    print_categories(scores["all"])
    if args.unseen:
        print_styles(scores)
        print("\nby set of writers")
        for name, examples in unseen_sets(test).items():
            print_summary(name, score(examples))
    if args.compare:
        compare_sources(test)
    if args.plot:
        plot_precision_recall(test, args.plot)
        print(f"\nwrote {args.plot}")
    if args.misses:
        for family, gold, predicted in scores["all"].misses:
            print(f"  {family}: gold {gold}, got {predicted}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
