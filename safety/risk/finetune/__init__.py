"""Fine-tuning the screen's encoder on the training families (needs PyTorch; production
never imports the network or the trainer, only where their adapters are kept).

    python -m safety.risk.finetune            # every fold, then all; writes the adapters
    python -m safety.risk.finetune --distil   # and commits the six-layer one instead

The twelve-layer encoder is fine-tuned per fold and on all (`trainer.py`); with
`--distil`, a six-layer encoder is then distilled from each (`distil.py`; measured,
not shipped: docs/safety.md). Each fold's adapter, trained without that fold, lets
`safety.risk.train` score the fold as production would, out of fold; the one trained
on the whole training split is committed as `safety/risk/encoder/adapter.npz`.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from safety.risk.dataset import Example, data_digest
from safety.risk.encoder.adapter import E5_QUERY_PREFIX
from safety.risk.encoder.runtime import cache_root

FOLDS = 5  # grouped cross-validation over the training families


def finetune_dir(examples: Sequence[Example]) -> Path:
    """Where the fold adapters of one training split are kept (public model data only)."""
    return cache_root() / "risk" / "finetune" / data_digest(examples)[:16]


# The twelve-layer encoder fine-tuned on the families, and six layers distilled from it.
STAGES = ("finetuned", "distilled")


def fold_adapter(examples: Sequence[Example], fold: int | None, stage: str = "finetuned") -> Path:
    """A fold's (None: all data's) adapter of one stage."""
    name = "all" if fold is None else f"fold{fold}"
    return finetune_dir(examples) / f"{stage}-{name}.npz"


def fold_adapter_like(
    examples: Sequence[Example], fold: int, wanted: Mapping[str, str]
) -> Path | None:
    """The fold's adapter trained like the committed one (`wanted`: its settings), of
    whichever stage that is; None when there is none."""
    for stage in STAGES:
        path = fold_adapter(examples, fold, stage)
        if path.exists():
            with np.load(path, allow_pickle=False) as data:
                if settings_of(data) == wanted:
                    return path
    return None


def settings_of(data: Mapping[str, Any]) -> dict[str, str]:
    """How an adapter file was trained (all but which fold it held out, and which
    teacher taught it), as comparable text; a file without a source list runs the
    model's first layers, one without a prefix read e5's, and another setting it lacks
    reads as empty."""
    settings = {key: _text(data[key]) if key in data else "" for key in SETTINGS}
    if "prefix" not in data:
        settings["prefix"] = _text(E5_QUERY_PREFIX)
    if "source" not in data and "layers" in data:
        settings["source"] = _text(np.arange(1, int(data["layers"]) + 1))
    return settings


def _text(value: Any) -> str:
    return json.dumps(np.asarray(value).tolist())


# How a teacher was trained; a student's file keeps them prefixed with `teacher_`.
TEACHER_SETTINGS = ("layers", "pooled", "rank", "epochs", "learning_rate")

# What must be the same for every fold's adapter and the final one.
SETTINGS = (
    "data_digest",
    "layers",
    "source",
    "pooled",
    "rank",
    "epochs",
    "learning_rate",
    "soft_weight",
    "embedding_weight",
    "prefix",
    *(f"teacher_{key}" for key in TEACHER_SETTINGS),
)


def add_fold_arguments(parser: argparse.ArgumentParser) -> None:
    """`--fold N` (repeatable) and `--all`, shared by the trainer and the distiller."""
    parser.add_argument("--fold", type=int, action="append", help="only these folds")
    parser.add_argument("--all", action="store_true", help="with --fold: also on all data")


def chosen_folds(args: argparse.Namespace) -> list[int | None]:
    """The folds asked for (None: on all data); every fold, then all, when none was."""
    if not args.fold:
        return [*range(FOLDS), None]
    return [*args.fold, None] if args.all else list(args.fold)
