"""Distils the fine-tuned twelve-layer encoder into one that runs half its layers.

    python -m safety.risk.finetune.distil --fold 0 --out DIR   # taught by finetuned-fold0
    python -m safety.risk.finetune.distil --out DIR            # every fold, then all

The screen's throughput target needs about half the encoder's work (docs/benchmarks.md).
The student starts from every other layer of its teacher, the twelve-layer encoder
fine-tuned on the same families (`finetuned-{fold}.npz`, from `trainer.py`), with the
teacher's updates merged in, and learns one more low-rank update per linear map. Its
loss is the teacher's objective (the screen's three questions and the category) plus
what the teacher answers on each message: its question probabilities (soft targets)
and its pooled embedding (mean squared error), which carry what the labels alone do
not, such as how close a hard negative came.

The student's file holds, per linear map, the teacher's update and its own side by
side (rank 16 + 64), which `adapter.merge` adds up as one; `source` names the model
layer each student layer starts from. Each fold's student is taught by that fold's
teacher only, so its out-of-fold figures stay out of fold. Training families only;
prints figures, never message text.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F

from safety.risk.dataset import data_digest
from safety.risk.encoder.adapter import Adapter, read_adapter
from safety.risk.encoder.weights import E5Weights
from safety.risk.finetune import TEACHER_SETTINGS, add_fold_arguments, chosen_folds
from safety.risk.finetune.network import AdaptedEncoder
from safety.risk.finetune.trainer import (
    READ_PREFIX,
    SCALE,
    Heads,
    LossTerm,
    batches,
    collate,
    fit_rows,
    own_factors,
    save,
    seed,
    train,
    training_rows,
)

# Every other layer, ending on the last, which e5 was trained to pool; the first six
# alone, fine-tuned, had lost too much recall (docs/safety.md).
SOURCE_LAYERS = (2, 4, 6, 8, 10, 12)
# Student layers pooled: the model's 6th, 10th and 12th. The teacher pools its 6th, 9th
# and 12th; the student's 10th (its 5th) stands in for the teacher's 9th, which it
# lacks, and learns to give what that layer gave.
POOLED_LAYERS = (3, 5, 6)
RANK = 64
ALPHA = 2.0 * RANK
EPOCHS = 6
LEARNING_RATE = 5e-4
SOFT_WEIGHT = 1.0  # the teacher's question probabilities
# The teacher's pooled embedding: its squared distance per dimension is tiny for a
# unit-length vector of 1,152, so it is summed over the dimensions and divided by the
# three pooled layers, which puts it near the question loss at the start.
EMBEDDING_WEIGHT = 20.0


def check_teacher(path: Path, teacher: Adapter, digest: str, fold: int | None) -> None:
    """The teacher must have been fine-tuned on these families without this fold, and
    its embedding must have as many pooled layers as the student's."""
    with np.load(path, allow_pickle=False) as data:
        held_out = int(data["held_out_fold"])
    if teacher.data_digest != digest:
        raise SystemExit(f"{path.name} was fine-tuned on other data")
    if held_out != (-1 if fold is None else fold):
        raise SystemExit(f"{path.name} held out another fold")
    if teacher.prefix != READ_PREFIX:
        raise SystemExit(f"{path.name} read the messages after another prefix")
    if len(teacher.pooled) != len(POOLED_LAYERS):
        raise SystemExit(f"{path.name} pools another number of layers than the student")


def teacher_settings(path: Path) -> dict[str, np.ndarray]:
    """How the teacher was trained, kept in the student's file: every fold's student
    must have been taught by a teacher trained alike (`SETTINGS`)."""
    with np.load(path, allow_pickle=False) as data:
        return {f"teacher_{key}": data[key] for key in TEACHER_SETTINGS}


def teacher_answers(
    weights: E5Weights,
    teacher: Adapter,
    heads: Heads,
    rows: Sequence[np.ndarray],
    fit: Sequence[int],
) -> tuple[torch.Tensor, torch.Tensor]:
    """The teacher's pooled embedding and question probabilities for the messages the
    student trains on, as training simulates production (8-bit rounding)."""
    network = AdaptedEncoder(weights, teacher.source, teacher.pooled, 1, 1.0, base=teacher)
    network.eval()
    embeddings = torch.zeros((len(rows), 384 * len(teacher.pooled)))
    with torch.no_grad():
        for group in batches(fit, rows, 64):
            batch, present = collate(group, rows)
            embeddings[group] = network(batch, present)
        probabilities = torch.sigmoid(heads(embeddings)[0])
    return embeddings, probabilities


def teacher_heads(path: Path) -> Heads:
    """The teacher's question and category heads (the student starts from them)."""
    with np.load(path, allow_pickle=False) as data:
        heads = Heads(data["questions.w"].shape[1], data["category.w"].shape[0])
        with torch.no_grad():
            heads.questions.weight.copy_(torch.from_numpy(data["questions.w"] / SCALE))
            heads.questions.bias.copy_(torch.from_numpy(data["questions.b"]))
            heads.category.weight.copy_(torch.from_numpy(data["category.w"] / SCALE))
            heads.category.bias.copy_(torch.from_numpy(data["category.b"]))
    return heads


def teacher_term(embeddings: torch.Tensor, answers: torch.Tensor) -> LossTerm:
    """The loss that pulls the student towards the teacher's answers on a batch."""

    def term(group: list[int], embedding: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
        soft = F.binary_cross_entropy_with_logits(logits, answers[group])
        # Per dimension, scaled so the embedding term weighs like the others.
        close = F.mse_loss(embedding, embeddings[group]) * embedding.shape[1] / 3
        return SOFT_WEIGHT * soft + EMBEDDING_WEIGHT * close

    return term


def distil(directory: Path, fold_numbers: Sequence[int | None]) -> None:
    """One student per entry (a fold number: without that fold; None: on all), taught
    by the teacher fine-tuned on the same families."""
    weights, examples, fold_of, rows = training_rows()
    for fold in fold_numbers:
        name = "all" if fold is None else f"fold{fold}"
        teacher_path = directory / f"finetuned-{name}.npz"
        teacher = read_adapter(teacher_path)
        check_teacher(teacher_path, teacher, data_digest(examples), fold)
        fit = fit_rows(fold_of, fold)
        print(f"{name}: distilling on {len(fit)} messages", flush=True)
        heads = teacher_heads(teacher_path)
        taught_embedding, taught_answers = teacher_answers(weights, teacher, heads, rows, fit)
        seed()
        student = AdaptedEncoder(weights, SOURCE_LAYERS, POOLED_LAYERS, RANK, ALPHA, base=teacher)

        taught = teacher_term(taught_embedding, taught_answers)
        train(student, heads, examples, rows, fit, EPOCHS, LEARNING_RATE, taught)
        settings = {
            "data_digest": data_digest(examples),
            "layers": len(SOURCE_LAYERS),
            "source": SOURCE_LAYERS,
            "pooled": POOLED_LAYERS,
            "rank": RANK,
            "epochs": EPOCHS,
            "learning_rate": LEARNING_RATE,
            "soft_weight": SOFT_WEIGHT,
            "embedding_weight": EMBEDDING_WEIGHT,
            "prefix": READ_PREFIX,
            "teacher": teacher.digest,
            **teacher_settings(teacher_path),
            "held_out_fold": -1 if fold is None else fold,
        }
        factors = teacher.beneath(student.source, own_factors(student))
        save(directory / f"distilled-{name}.npz", settings, factors, heads)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    add_fold_arguments(parser)
    parser.add_argument("--out", type=Path, required=True, help="where the teachers are")
    args = parser.parse_args(argv)
    distil(args.out, chosen_folds(args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
