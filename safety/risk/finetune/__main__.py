"""Fine-tune every fold and the whole training split (teachers that are not cached yet),
distil the students, and commit-ready the last one."""

from __future__ import annotations

import shutil
import sys

from safety.risk.dataset import load_all, split
from safety.risk.encoder.adapter import committed_adapter_path
from safety.risk.finetune import FOLDS, finetune_dir, fold_adapter
from safety.risk.finetune.distil import distil
from safety.risk.finetune.trainer import fine_tune


def main() -> int:
    examples, _ = split(load_all())
    every: list[int | None] = [*range(FOLDS), None]
    missing = [f for f in every if not fold_adapter(examples, f, "teacher").exists()]
    if missing:
        fine_tune(finetune_dir(examples), missing, prefix="teacher")
    distil(finetune_dir(examples), every)
    shutil.copyfile(fold_adapter(examples, None), committed_adapter_path())
    print(f"wrote {committed_adapter_path()}; now run .venv-dev/bin/python -m safety.risk.train")
    return 0


if __name__ == "__main__":
    sys.exit(main())
