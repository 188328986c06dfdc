"""Fine-tunes the twelve-layer encoder's adapters with the screen's questions as the
objective (the screen's encoder, and the teacher `distil.py` distils six layers from).

    python -m safety.risk.finetune.trainer --fold 0 --out DIR   # train on the other folds
    python -m safety.risk.finetune.trainer --out DIR            # train on every fold

Training families only: the test split is never read. The objective is the screen's
own three yes/no questions (≥ elevated, ≥ high, imminent; binary cross-entropy,
balanced) and the taxonomy category (cross-entropy, where there is one), over the
pooled embedding production computes. Prints figures, never message text.
"""

from __future__ import annotations

import argparse
import os
import random
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from safety.risk.dataset import Example, data_digest, folds, load_all, split
from safety.risk.encoder.adapter import E5_QUERY_PREFIX
from safety.risk.encoder.tokenizer import Tokenizer
from safety.risk.encoder.weights import E5Weights, package_weights
from safety.risk.finetune import FOLDS, add_fold_arguments, chosen_folds, settings_of
from safety.risk.finetune.network import AdaptedEncoder
from safety.risk.semantic import prepare
from safety.risk.taxonomy import load_taxonomy

MAX_TOKENS = 192
RANK = int(os.environ.get("SAMTAL_FT_RANK", "16"))
ALPHA = 2.0 * RANK
EPOCHS = int(os.environ.get("SAMTAL_FT_EPOCHS", "4"))
BATCH = 32
ADAPTER_LR = float(os.environ.get("SAMTAL_FT_LR", "5e-4"))
HEAD_LR = 3e-3
CATEGORY_WEIGHT = 0.5
SCALE = 16.0  # the embedding is unit length; the heads read it magnified
SEED = 20261206
LAYERS = int(os.environ.get("SAMTAL_FT_LAYERS", "12"))
POOLED_LAYERS = tuple(int(n) for n in os.environ.get("SAMTAL_FT_POOLED", "6,9,12").split(","))
# What the encoder reads before each message, as e5 was published to read a query; the
# adapter file records it, so a fold read one way is never taken for one read another.
READ_PREFIX = E5_QUERY_PREFIX


class Heads(nn.Module):
    def __init__(self, dimension: int, categories: int) -> None:
        super().__init__()
        self.questions = nn.Linear(dimension, 3)
        self.category = nn.Linear(dimension, categories)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.questions(x * SCALE), self.category(x * SCALE)


def question_targets(examples: Sequence[Example]) -> np.ndarray:
    ranks = np.array([e.level.rank for e in examples])
    return np.stack([ranks >= 1, ranks >= 2, ranks == 3], axis=1).astype(np.float32)


def token_rows(weights: E5Weights, examples: Sequence[Example]) -> list[np.ndarray]:
    tokenizer = Tokenizer(weights.vocabulary)
    vocabulary = weights.vocabulary
    rows = []
    for e in examples:
        ids = tokenizer.ids(READ_PREFIX + prepare(e.text))[: MAX_TOKENS - 2]
        sequence = np.array([vocabulary.bos, *ids, vocabulary.eos], dtype=np.int64)
        rows.append(weights.word_rows(sequence))
    return rows


def batches(order: Sequence[int], rows: Sequence[np.ndarray], size: int) -> list[list[int]]:
    """Batches of similar length (less padding), in random order."""
    by_length = sorted(order, key=lambda i: (len(rows[i]), random.random()))
    groups = [by_length[i : i + size] for i in range(0, len(by_length), size)]
    random.shuffle(groups)
    return groups


def collate(
    indices: Sequence[int], rows: Sequence[np.ndarray]
) -> tuple[torch.Tensor, torch.Tensor]:
    longest = max(len(rows[i]) for i in indices)
    hidden = rows[indices[0]].shape[1]
    batch = np.zeros((len(indices), longest, hidden), dtype=np.float32)
    present = np.zeros((len(indices), longest), dtype=np.float32)
    for slot, i in enumerate(indices):
        batch[slot, : len(rows[i])] = rows[i]
        present[slot, : len(rows[i])] = 1
    return torch.from_numpy(batch), torch.from_numpy(present)


def seed() -> None:
    """Fix the random state; called before a network's updates are drawn and before
    training, so a fold trains the same alone as in a run of every fold."""
    torch.manual_seed(SEED)
    random.seed(SEED)


LossTerm = Callable[[list[int], torch.Tensor, torch.Tensor], torch.Tensor]


def train(
    encoder: AdaptedEncoder,
    heads: Heads,
    examples: Sequence[Example],
    rows: Sequence[np.ndarray],
    fit: Sequence[int],
    epochs: int,
    learning_rate: float,
    extra: LossTerm | None = None,
) -> None:
    """Train the encoder's adapters and the heads on the `fit` rows. `extra`, given the
    batch's rows, embeddings and question logits, adds to the loss (a teacher's)."""
    seed()  # so a fold's batches come in the same order alone as in a run of all
    categories = list(load_taxonomy())
    targets = torch.from_numpy(question_targets(examples))
    category_gold = torch.tensor(
        [categories.index(e.category) if e.category else -100 for e in examples]
    )
    positives = targets[list(fit)].mean(0)
    pos_weight = (1 - positives) / positives.clamp(min=1e-3)
    adapters = [p for p in encoder.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(
        [{"params": adapters, "lr": learning_rate}, {"params": heads.parameters(), "lr": HEAD_LR}],
        weight_decay=0.01,
    )
    steps = epochs * ((len(fit) + BATCH - 1) // BATCH)
    warmup = max(1, steps // 20)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min(1.0, (s + 1) / warmup) * max(0.0, (steps - s) / steps)
    )
    bce = nn.BCEWithLogitsLoss(pos_weight=pos_weight)
    for epoch in range(epochs):
        encoder.train()
        started, total, count = time.monotonic(), 0.0, 0
        for group in batches(fit, rows, BATCH):
            batch, present = collate(group, rows)
            embedding = encoder(batch, present)
            question_logits, category_logits = heads(embedding)
            loss = bce(question_logits, targets[group])
            gold = category_gold[group]
            if (gold >= 0).any():
                loss = loss + CATEGORY_WEIGHT * nn.functional.cross_entropy(
                    category_logits, gold, ignore_index=-100
                )
            if extra is not None:
                loss = loss + extra(group, embedding, question_logits)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            total, count = total + float(loss.detach()), count + 1
        print(f"  epoch {epoch + 1}: loss {total / max(1, count):.4f} "
              f"({time.monotonic() - started:.0f} s)", flush=True)  # fmt: skip


def new_heads(pooled: int) -> Heads:
    return Heads(384 * pooled, len(load_taxonomy()))


Updates = dict[str, tuple[np.ndarray, np.ndarray]]


def own_factors(encoder: AdaptedEncoder) -> Updates:
    """Each linear map's trained update, keyed `l{layer}.{name}`."""
    return {
        f"l{index}.{name}": linear.delta()
        for index, layer in enumerate(encoder.layers)
        for name, linear in layer.linears.items()
    }


def save(path: Path, settings: dict[str, Any], factors: Updates, heads: Heads) -> None:
    """The adapter file `safety.risk.encoder.adapter` reads, with the heads beside it.
    The updates are kept in half precision, which the graph builder merges exactly."""
    arrays: dict[str, Any] = {key: np.array(value) for key, value in settings.items()}
    for key, (up, down) in factors.items():
        arrays[f"{key}.up"] = up.astype(np.float16)
        arrays[f"{key}.down"] = down.astype(np.float16)
    arrays["questions.w"] = heads.questions.weight.detach().numpy() * SCALE
    arrays["questions.b"] = heads.questions.bias.detach().numpy()
    arrays["category.w"] = heads.category.weight.detach().numpy() * SCALE
    arrays["category.b"] = heads.category.bias.detach().numpy()
    np.savez_compressed(path, **arrays)


def training_rows() -> tuple[E5Weights, list[Example], np.ndarray, list[np.ndarray]]:
    """The pinned weights, the training split, each message's fold and its word rows."""
    torch.set_num_threads(int(os.environ.get("SAMTAL_FT_THREADS", "2")))
    weights = E5Weights(package_weights())
    examples, _ = split(load_all())
    return weights, examples, np.array(folds(examples, FOLDS)), token_rows(weights, examples)


def fit_rows(fold_of: np.ndarray, fold: int | None) -> list[int]:
    return [i for i in range(len(fold_of)) if fold is None or fold_of[i] != fold]


def settings(digest: str, fold: int | None) -> dict[str, Any]:
    """How this trainer trains, as its adapter files record it."""
    return {
        "data_digest": digest,
        "layers": LAYERS,
        "source": tuple(range(1, LAYERS + 1)),
        "pooled": POOLED_LAYERS,
        "rank": RANK,
        "epochs": EPOCHS,
        "learning_rate": ADAPTER_LR,
        "prefix": READ_PREFIX,
        "held_out_fold": -1 if fold is None else fold,
    }


def trained_as_now(path: Path, digest: str, fold: int | None) -> bool:
    """Whether a cached adapter was trained with today's settings (else train again)."""
    if not path.exists():
        return False
    with np.load(path, allow_pickle=False) as data:
        return bool(settings_of(data) == settings_of(settings(digest, fold)))


def fine_tune(out: Path, fold_numbers: Sequence[int | None]) -> None:
    """Train one adapter per entry (a fold number: without that fold; None: on all)."""
    weights, examples, fold_of, rows = training_rows()
    out.mkdir(parents=True, exist_ok=True)
    for fold in fold_numbers:
        fit = fit_rows(fold_of, fold)
        name = "all" if fold is None else f"fold{fold}"
        print(f"{name}: fine-tuning on {len(fit)} messages", flush=True)
        seed()
        encoder = AdaptedEncoder(weights, range(1, LAYERS + 1), POOLED_LAYERS, RANK, ALPHA)
        heads = new_heads(len(POOLED_LAYERS))
        train(encoder, heads, examples, rows, fit, EPOCHS, ADAPTER_LR)
        path = out / f"finetuned-{name}.npz"
        save(path, settings(data_digest(examples), fold), own_factors(encoder), heads)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    add_fold_arguments(parser)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    fine_tune(args.out, chosen_folds(args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
