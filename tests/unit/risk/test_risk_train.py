"""Training refuses adapters that do not belong to the data, the fold or the committed one."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from safety.risk.encoder.adapter import committed_adapter_path
from safety.risk.finetune import SETTINGS
from safety.risk.train import NotFineTuned, read_heads


def adapter_like_the_committed(path: Path, **changes: object) -> Path:
    with np.load(committed_adapter_path(), allow_pickle=False) as committed:
        arrays = {key: committed[key] for key in (*SETTINGS, "questions.w", "questions.b",
                                                  "category.w", "category.b")
                  if key in committed}  # fmt: skip
    arrays["held_out_fold"] = np.array(2)
    arrays.update({key: np.array(value) for key, value in changes.items()})
    np.savez(path, **arrays)
    return path


def test_a_fold_adapter_like_the_committed_one_gives_its_heads(tmp_path: Path) -> None:
    path = adapter_like_the_committed(tmp_path / "fold2.npz")
    with np.load(path) as data:
        digest = str(data["data_digest"])
    questions, category = read_heads(path, digest, fold=2)
    assert (
        questions.weights.shape[1] == 3 and category.weights.shape[0] == questions.weights.shape[0]
    )


def test_an_adapter_of_other_data_another_fold_or_other_settings_is_refused(
    tmp_path: Path,
) -> None:
    path = adapter_like_the_committed(tmp_path / "fold2.npz")
    with np.load(path) as data:
        digest = str(data["data_digest"])
    with pytest.raises(NotFineTuned, match="other data"):
        read_heads(path, "0" * 64, fold=2)
    with pytest.raises(NotFineTuned, match="another fold"):
        read_heads(path, digest, fold=3)
    with pytest.raises(NotFineTuned, match="another fold"):
        read_heads(path, digest, fold=None)  # the final adapter holds out nothing
    other = adapter_like_the_committed(tmp_path / "other.npz", rank=8)
    with pytest.raises(NotFineTuned, match="unlike the committed"):
        read_heads(other, digest, fold=2)
    taught_elsewhere = adapter_like_the_committed(tmp_path / "six.npz", source=(1, 3, 5, 7, 9, 11))
    with pytest.raises(NotFineTuned, match="unlike the committed"):
        read_heads(taught_elsewhere, digest, fold=2)
