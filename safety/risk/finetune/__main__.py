"""Fine-tune every fold and the whole training split (those not cached with today's
settings), distil
six layers from each with `--distil`, and commit-ready the final adapter."""

from __future__ import annotations

import argparse
import shutil
import sys
from collections.abc import Sequence

from safety.risk.dataset import data_digest, load_all, split
from safety.risk.encoder.adapter import committed_adapter_path
from safety.risk.finetune import FOLDS, finetune_dir, fold_adapter
from safety.risk.finetune.trainer import fine_tune, trained_as_now


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--distil", action="store_true", help="commit six layers distilled from the twelve"
    )
    args = parser.parse_args(argv)
    examples, _ = split(load_all())
    every: list[int | None] = [*range(FOLDS), None]
    digest = data_digest(examples)
    missing = [f for f in every if not trained_as_now(fold_adapter(examples, f), digest, f)]
    if missing:
        fine_tune(finetune_dir(examples), missing)
    stage = "finetuned"
    if args.distil:
        from safety.risk.finetune.distil import distil

        distil(finetune_dir(examples), every)
        stage = "distilled"
    shutil.copyfile(fold_adapter(examples, None, stage), committed_adapter_path())
    print(f"wrote {committed_adapter_path()}; now run .venv-dev/bin/python -m safety.risk.train")
    return 0


if __name__ == "__main__":
    sys.exit(main())
