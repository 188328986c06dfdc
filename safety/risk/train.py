"""Calibrate the screen's heads and choose their thresholds, on training families only.

    python -m safety.risk.finetune                 # (PyTorch) adapters per fold and for all
    .venv-dev/bin/python -m safety.risk.train      # writes safety/risk/semantic_model.npz

1. Grouped 5-fold cross-validation over the training split (a family never straddles
   folds). For each fold, the encoder fine-tuned without it (`safety.risk.finetune`,
   its adapter kept in the cache) reads the fold's messages through the same 8-bit
   graph production runs, and its question heads give out-of-fold margins; three
   lexical heads, fitted without the fold, give theirs.
2. Platt scaling is fitted on those out-of-fold margins (calibration); each question's
   embedding and lexical probabilities are mixed (`LEXICAL_WEIGHT`, 0 for the
   embedding alone; `SAMTAL_RISK_LEXICAL_WEIGHT` overrides it to compare) and the mix
   is calibrated again. The lift thresholds are chosen on the calibrated mix:
   * high: the smallest threshold that keeps ordinary messages escalated within
     `ORDINARY_PAGE_BUDGET` out of fold, in each language. Recall first would put it far lower, and
     then greetings page a mediator; docs/safety.md gives the trade-off and why;
   * imminent: the smallest threshold at which out-of-fold imminent predictions are
     right at least `IMMINENT_PRECISION` of the time (it pages the on-call mediator
     too), but never below 0.5;
   * elevated: the smallest threshold that keeps none-labelled messages lifted to
     elevated or above within `NONE_LIFT_BUDGET`;
   * imminent-as-high: P(imminent) at or above this lifts to high; kept at the
     imminent threshold, since a lower floor pages greetings as well.
   Thresholds are read off the family data only: the legacy messages train the heads
   but were labelled before the taxonomy existed.
3. The final model takes the question and category heads of the adapter fine-tuned on
   the whole training split (`safety/risk/encoder/adapter.npz`) with the calibration
   from step 2, and lexical heads refitted on the whole training split.
The test split is never read here. Prints figures, never message text.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import sparse

from safety.risk.calibration import fit_platt, sigmoid
from safety.risk.dataset import (
    Example,
    data_digest,
    folds,
    is_hard_negative,
    load_all,
    ordinary_families,
    split,
)
from safety.risk.embedding_cache import embed_texts
from safety.risk.encoder import Encoder
from safety.risk.encoder.adapter import committed_adapter_path, read_adapter
from safety.risk.finetune import FOLDS, fold_adapter_like, settings_of
from safety.risk.levels import RiskLevel
from safety.risk.lexical import BUCKETS, LexicalHead, term_counts
from safety.risk.logreg import Softmax
from safety.risk.question_heads import QuestionHeads
from safety.risk.semantic import MODEL_FILE, SemanticModel, prepare, sentence_windows
from safety.risk.taxonomy import load_taxonomy

ORDINARY_PAGE_BUDGET = 0.05
IMMINENT_PRECISION = 0.75
NONE_LIFT_BUDGET = 0.02
# Weight of the lexical head in each question's mix, and its inverse regularisation;
# chosen by grouped cross-validation over the training families (docs/safety.md).
LEXICAL_WEIGHT = float(os.environ.get("SAMTAL_RISK_LEXICAL_WEIGHT", "0.2"))
LEXICAL_C = 4.0
# Whether a long message is also read two sentences at a time (`semantic.readings`);
# `SAMTAL_RISK_WINDOWS=0` or `1` overrides it to compare, out of fold.
_WINDOWS_SETTING = os.environ.get("SAMTAL_RISK_WINDOWS", "0")
if _WINDOWS_SETTING not in ("0", "1"):
    raise ValueError("SAMTAL_RISK_WINDOWS is 0 or 1")
READ_WINDOWS = _WINDOWS_SETTING == "1"
GRID = np.round(np.linspace(0.02, 0.98, 97), 3)


class NotFineTuned(RuntimeError):
    """The encoder's adapters were fine-tuned on other data than the training split."""


def read_heads(path: Path, digest: str, fold: int | None = None) -> tuple[QuestionHeads, Softmax]:
    """The question and category heads trained with an adapter, checked against the data,
    the fold it held out (None: none) and the committed adapter's training settings."""
    with np.load(path, allow_pickle=False) as data:
        if str(data["data_digest"]) != digest:
            raise NotFineTuned(f"{path.name} was fine-tuned on other data (safety.risk.finetune)")
        if int(data["held_out_fold"]) != (-1 if fold is None else fold):
            raise NotFineTuned(f"{path.name} held out another fold")
        if fold is not None:
            with np.load(committed_adapter_path(), allow_pickle=False) as final:
                if settings_of(data) != settings_of(final):
                    raise NotFineTuned(f"{path.name} was trained unlike the committed adapter")
        questions = QuestionHeads.uncalibrated(data["questions.w"], data["questions.b"])
        category = Softmax(
            np.asarray(data["category.w"], dtype=np.float64).T.copy(),
            np.asarray(data["category.b"], dtype=np.float64),
        )
    return questions, category


def choose_thresholds(
    scores: np.ndarray, gold: np.ndarray, ordinary: np.ndarray, languages: np.ndarray
) -> dict[RiskLevel, float]:
    """Thresholds from out-of-fold P(≥ level) scores, gold ranks, the ordinary mask and
    each row's language. The ordinary-page budget holds in every language, not just
    pooled: a pooled budget let one language page more than the budget allows."""
    imminent_gold = gold == RiskLevel.IMMINENT.rank
    none_gold = gold == RiskLevel.NONE.rank
    ordinary_by_language = [ordinary & (languages == lang) for lang in np.unique(languages)]
    within = [
        t
        for t in GRID
        if all(
            (scores[rows, 1] >= t).mean() <= ORDINARY_PAGE_BUDGET
            for rows in ordinary_by_language
            if rows.any()
        )
    ]
    high = float(min(within)) if within else float(GRID[-1])
    precise = [
        t
        for t in GRID
        if (scores[:, 2] >= t).any()
        and imminent_gold[scores[:, 2] >= t].mean() >= IMMINENT_PRECISION
    ]
    imminent = max(float(min(precise)) if precise else 1.0, 0.5)
    elevated_ok = [t for t in GRID if (scores[none_gold, 0] >= t).mean() <= NONE_LIFT_BUDGET]
    elevated = float(min(elevated_ok)) if elevated_ok else float(GRID[-1])
    return {RiskLevel.ELEVATED: elevated, RiskLevel.HIGH: high, RiskLevel.IMMINENT: imminent}


def at_least_elevated(gold: np.ndarray) -> np.ndarray:
    return np.asarray(gold >= RiskLevel.ELEVATED.rank)


def at_least_high(gold: np.ndarray) -> np.ndarray:
    return np.asarray(gold >= RiskLevel.HIGH.rank)


def imminent(gold: np.ndarray) -> np.ndarray:
    return np.asarray(gold == RiskLevel.IMMINENT.rank)


QUESTIONS: tuple[Callable[[np.ndarray], np.ndarray], ...] = (
    at_least_elevated,
    at_least_high,
    imminent,
)


def term_matrix(examples: Sequence[Example]) -> sparse.csr_matrix:
    """Sublinear n-gram counts per message, as `lexical.term_counts` reads them."""
    rows, cols, values = [], [], []
    for row, example in enumerate(examples):
        ids, tf = term_counts(prepare(example.text))
        rows.extend([row] * len(ids))
        cols.extend(ids.tolist())
        values.extend(tf.tolist())
    return sparse.csr_matrix((values, (rows, cols)), shape=(len(examples), BUCKETS))


def fit_lexical(counts: sparse.csr_matrix, yes: np.ndarray) -> LexicalHead:
    """Logistic regression over tf-idf n-grams for one yes/no question."""
    from sklearn.linear_model import LogisticRegression  # training only

    documents = counts.shape[0]
    seen = np.asarray((counts > 0).sum(axis=0)).ravel()
    idf = np.log((1 + documents) / (1 + seen)) + 1
    weighted = sparse.csr_matrix(counts.multiply(idf[None, :]))
    norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel())
    features = sparse.diags(1 / np.maximum(norms, 1e-12)) @ weighted
    machine = LogisticRegression(C=LEXICAL_C, max_iter=3000, class_weight="balanced")
    machine.fit(features, yes)
    return LexicalHead(idf=idf, weights=machine.coef_[0].astype(np.float64),
                       bias=float(machine.intercept_[0]))  # fmt: skip


@dataclass(frozen=True)
class OutOfFold:
    """Grouped cross-validation over training families: calibrated out-of-fold scores."""

    scores: np.ndarray  # per message: P(≥ elevated), P(≥ high), P(imminent), out of fold
    platt: list[tuple[float, float]]  # per question, fitted on the out-of-fold margins
    lexical_platt: list[tuple[float, float]]  # the same for the lexical heads
    mix: list[tuple[float, float, float]]  # per question: lexical weight, Platt a, b
    thresholds: dict[RiskLevel, float]  # chosen on the out-of-fold scores of family data
    gold: np.ndarray
    family_rows: np.ndarray  # not legacy
    ordinary: np.ndarray  # ordinary none messages


def _mixed(
    margin: np.ndarray,
    lexical_margin: np.ndarray,
    platt: Sequence[tuple[float, float]],
    lexical_platt: Sequence[tuple[float, float]],
    mix: Sequence[tuple[float, float, float]],
) -> np.ndarray:
    """Calibrated P(≥ elevated), P(≥ high), P(imminent) per row, as the model computes."""
    columns = []
    for q in range(len(QUESTIONS)):
        semantic = sigmoid(platt[q][0] * margin[:, q] + platt[q][1])
        if not LEXICAL_WEIGHT:
            columns.append(semantic)
            continue
        lexical = sigmoid(lexical_platt[q][0] * lexical_margin[:, q] + lexical_platt[q][1])
        weight, a, b = mix[q]
        columns.append(sigmoid(a * ((1 - weight) * semantic + weight * lexical) + b))
    return np.stack(columns, axis=1)


def out_of_fold(
    examples: Sequence[Example], counts: sparse.csr_matrix, windows: bool = READ_WINDOWS
) -> OutOfFold:
    """Out-of-fold scores and the thresholds chosen on them (families never straddle folds).
    With `windows`, a message's score is the highest over its readings, as production
    reads it; calibration is fitted on whole messages only."""
    gold = np.array([e.level.rank for e in examples], dtype=np.int64)
    fold_of = np.array(folds(examples, FOLDS))
    margin = np.zeros((len(examples), len(QUESTIONS)))
    lexical_margin = np.zeros((len(examples), len(QUESTIONS)))
    texts = [prepare(e.text) for e in examples]
    # The extra readings (sentence windows) and the message each belongs to.
    window_of = [
        (row, w) for row, e in enumerate(examples) if windows for w in sentence_windows(e.text)
    ]
    parent = np.array([row for row, _ in window_of], dtype=np.int64)
    window_texts = [w for _, w in window_of]
    window_margin = np.zeros((len(window_of), len(QUESTIONS)))
    window_lexical = np.zeros((len(window_of), len(QUESTIONS)))
    digest = data_digest(examples)
    with np.load(committed_adapter_path(), allow_pickle=False) as committed:
        wanted = settings_of(committed)
    for fold in range(FOLDS):
        fit_rows = fold_of != fold
        held = ~fit_rows
        held_texts = [t for t, h in zip(texts, held, strict=True) if h]
        adapter = fold_adapter_like(examples, fold, wanted)
        if adapter is None:
            command = "python -m safety.risk.finetune" + (
                " --distil" if wanted.get("teacher_layers") else ""
            )
            raise NotFineTuned(
                f"no adapter for fold {fold} trained like the committed one: {command}"
            )
        heads, _ = read_heads(adapter, digest, fold)
        encoder = Encoder(adapter_path=adapter)
        margin[held] = heads.margins(embed_texts(held_texts, encoder=encoder))
        held_windows = held[parent] if len(parent) else np.zeros(0, dtype=bool)
        held_window_texts = [t for t, h in zip(window_texts, held_windows, strict=True) if h]
        if held_window_texts:
            embedded = embed_texts(held_window_texts, encoder=encoder)
            window_margin[held_windows] = heads.margins(embedded)
        for q, question in enumerate(QUESTIONS):
            if LEXICAL_WEIGHT:
                head = fit_lexical(counts[fit_rows], question(gold[fit_rows]))
                lexical_margin[held, q] = head.margin(held_texts)
                if held_window_texts:
                    window_lexical[held_windows, q] = head.margin(held_window_texts)
    platt = [fit_platt(margin[:, q], question(gold)) for q, question in enumerate(QUESTIONS)]
    lexical_platt = [
        fit_platt(lexical_margin[:, q], question(gold)) for q, question in enumerate(QUESTIONS)
    ]
    mix: list[tuple[float, float, float]] = []
    for q, question in enumerate(QUESTIONS):
        semantic = sigmoid(platt[q][0] * margin[:, q] + platt[q][1])
        lexical = sigmoid(lexical_platt[q][0] * lexical_margin[:, q] + lexical_platt[q][1])
        mixed = (1 - LEXICAL_WEIGHT) * semantic + LEXICAL_WEIGHT * lexical
        a, b = fit_platt(mixed, question(gold)) if LEXICAL_WEIGHT else (1.0, 0.0)
        mix.append((LEXICAL_WEIGHT, a, b))
    scores = _mixed(margin, lexical_margin, platt, lexical_platt, mix)
    if len(parent):
        # Highest wins across readings, per question (each level's test reads one).
        window_scores = _mixed(window_margin, window_lexical, platt, lexical_platt, mix)
        np.maximum.at(scores, parent, window_scores)
    family_rows = np.array([not e.is_legacy for e in examples])
    ordinary_names = ordinary_families()
    ordinary = np.array(
        [e.level is RiskLevel.NONE and not is_hard_negative(e, ordinary_names) for e in examples]
    )
    languages = np.array([e.lang for e in examples])
    thresholds = choose_thresholds(
        scores[family_rows], gold[family_rows], ordinary[family_rows], languages[family_rows]
    )
    return OutOfFold(scores, platt, lexical_platt, mix, thresholds, gold, family_rows, ordinary)


def train(examples: Sequence[Example]) -> tuple[SemanticModel, dict[str, float]]:
    """Calibrate the heads and choose thresholds; returns the model and out-of-fold figures."""
    counts = term_matrix(examples)
    windows = READ_WINDOWS  # one value for both: the thresholds and the saved model agree
    oof = out_of_fold(examples, counts, windows)
    scores, platt, thresholds = oof.scores, oof.platt, oof.thresholds
    gold, family_rows, ordinary = oof.gold, oof.family_rows, oof.ordinary
    imminent_as_high = thresholds[RiskLevel.IMMINENT]
    # For analysis: out-of-fold scores, no text. `ordinary` is True for legacy harmless
    # rows too; thresholds read family rows only (`~legacy`).
    if os.environ.get("SAMTAL_RISK_OOF"):
        np.savez(
            os.environ["SAMTAL_RISK_OOF"],
            scores=scores,
            gold=gold,
            legacy=~family_rows,
            ordinary=ordinary,
            languages=np.array([e.lang for e in examples]),
        )

    heads, category_head = read_heads(committed_adapter_path(), data_digest(examples))
    questions = heads.calibrated(np.array(platt, dtype=np.float64))
    lexical = (
        tuple(
            fit_lexical(counts, question(gold)).calibrated(*oof.lexical_platt[q])
            for q, question in enumerate(QUESTIONS)
        )
        if LEXICAL_WEIGHT
        else ()
    )
    categories = tuple(load_taxonomy())
    model = SemanticModel(
        questions,
        category_head,
        categories,
        thresholds,
        data_digest(examples),
        imminent_as_high,
        lexical,
        tuple(oof.mix) if LEXICAL_WEIGHT else (),
        encoder_digest=read_adapter(committed_adapter_path()).digest,
        windows=windows,
    )

    lifted = np.array([model.lift(row).rank for row in scores])
    fam = family_rows
    figures = {
        "oof_recall_high": float((lifted[fam & (gold >= 2)] >= 2).mean()),
        "oof_imminent_below_high": float((lifted[gold == 3] < 2).sum()),
        "oof_none_escalated": float((lifted[fam & (gold == 0)] >= 2).mean()),
        "oof_ordinary_escalated": float((lifted[fam & ordinary] >= 2).mean()),
        "oof_none_lifted": float((lifted[fam & (gold == 0)] >= 1).mean()),
        "oof_imminent_recall": float((lifted[gold == 3] == 3).mean()),
    }
    return model, figures


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Train the risk screen's classifier heads.")
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name(MODEL_FILE))
    args = parser.parse_args(argv)
    train_split, _ = split(load_all())
    model, figures = train(train_split)
    model.save(args.out)
    graph = Encoder(committed_adapter_path()).model_digest
    print(f"encoder graph SHA-256 (pin it as MODEL_SHA256 in encoder/runtime.py): {graph}")
    print(f"trained on {len(train_split)} messages (test families never read)")
    for name, value in figures.items():
        print(f"  {name:28s} {value:.3f}")
    for level, threshold in model.thresholds.items():
        print(f"  threshold P(>= {level.value}) {threshold:.3f}")
    print(f"  P(imminent) lifting to high  {model.imminent_as_high:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
