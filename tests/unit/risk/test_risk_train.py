"""Training refuses adapters that do not belong to the data, the fold or the committed one."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pytest

from safety.risk.encoder.adapter import committed_adapter_path, read_adapter
from safety.risk.finetune import (
    FOLDS,
    SETTINGS,
    add_fold_arguments,
    chosen_folds,
    fold_adapter_like,
    settings_of,
)
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
    # As the trainer writes a fold's file now: with the source list the committed file,
    # written before distillation, lacks.
    layers = int(read_adapter(committed_adapter_path()).layers)
    path = adapter_like_the_committed(tmp_path / "fold2.npz", source=tuple(range(1, layers + 1)))
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
    other_layers = adapter_like_the_committed(tmp_path / "six.npz", source=(1, 3, 5, 7, 9, 11))
    with pytest.raises(NotFineTuned, match="unlike the committed"):
        read_heads(other_layers, digest, fold=2)


STUDENT = {
    "data_digest": "d" * 64,
    "layers": 6,
    "source": (2, 4, 6, 8, 10, 12),
    "pooled": (3, 5, 6),
    "rank": 64,
    "epochs": 6,
    "learning_rate": 5e-4,
    "soft_weight": 1.0,
    "embedding_weight": 20.0,
    "teacher_layers": 12,
    "teacher_pooled": (6, 9, 12),
    "teacher_rank": 16,
    "teacher_epochs": 4,
    "teacher_learning_rate": 5e-4,
}


def student_file(path: Path, fold: int, **changes: object) -> Path:
    arrays = {key: np.array(value) for key, value in (STUDENT | changes).items()}
    arrays |= {"held_out_fold": np.array(fold), "teacher": np.array(f"teacher of {fold}")}
    arrays |= {"questions.w": np.zeros((3, 1152)), "questions.b": np.zeros(3)}
    arrays |= {"category.w": np.zeros((4, 1152)), "category.b": np.zeros(4)}
    np.savez(path, **arrays)
    return path


def test_a_student_taught_like_the_committed_one_passes_and_one_taught_otherwise_does_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    committed = student_file(tmp_path / "adapter.npz", -1)
    monkeypatch.setattr("safety.risk.train.committed_adapter_path", lambda: committed)
    digest = STUDENT["data_digest"]
    questions, _ = read_heads(student_file(tmp_path / "fold1.npz", 1), str(digest), fold=1)
    # Each fold's student has its own fold's teacher; only how it was taught must match.
    assert questions.weights.shape[1] == 3
    for change in (
        {"source": (1, 3, 5, 7, 9, 11)},
        {"soft_weight": 0.0},
        {"teacher_rank": 8},
        {"teacher_pooled": (6, 10, 12)},
    ):
        other = student_file(tmp_path / "other.npz", 1, **change)
        with pytest.raises(NotFineTuned, match="unlike the committed"):
            read_heads(other, str(digest), fold=1)


def test_a_file_without_a_source_list_is_read_as_running_the_first_layers(tmp_path: Path) -> None:
    old = {"layers": np.array(12), "pooled": np.array((6, 9, 12))}
    listed = old | {"source": np.arange(1, 13)}
    assert settings_of(old)["source"] == settings_of(listed)["source"]
    assert settings_of(listed | {"source": np.arange(2, 14)}) != settings_of(old)


def test_a_file_without_a_prefix_is_read_as_reading_e5s(tmp_path: Path) -> None:
    """A fold fine-tuned reading "query: " first is not taken for one that read the
    message alone: the two embed every message differently."""
    old = {"layers": np.array(12), "pooled": np.array((6, 9, 12))}
    named = old | {"prefix": np.array("query: ")}
    assert settings_of(old)["prefix"] == settings_of(named)["prefix"]
    assert settings_of(old | {"prefix": np.array("")}) != settings_of(old)


def test_training_reads_the_folds_of_the_stage_the_committed_adapter_was_trained_as(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("safety.risk.finetune.finetune_dir", lambda examples: tmp_path)
    twelve = {"layers": 12, "pooled": (6, 9, 12), "rank": 16, "epochs": 4}
    student_file(tmp_path / "distilled-fold1.npz", 1)
    student_file(tmp_path / "finetuned-fold1.npz", 1, source=tuple(range(1, 13)), **twelve)
    with np.load(student_file(tmp_path / "committed.npz", -1)) as committed:
        assert fold_adapter_like([], 1, settings_of(committed)) == tmp_path / "distilled-fold1.npz"
    like_twelve = student_file(
        tmp_path / "committed12.npz", -1, source=tuple(range(1, 13)), **twelve
    )
    with np.load(like_twelve) as committed:
        assert fold_adapter_like([], 1, settings_of(committed)) == tmp_path / "finetuned-fold1.npz"
        assert fold_adapter_like([], 2, settings_of(committed)) is None


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([], [*range(FOLDS), None]),
        (["--fold", "3"], [3]),
        (["--fold", "0", "--fold", "2"], [0, 2]),
        (["--fold", "4", "--all"], [4, None]),
    ],
)
def test_the_trainer_and_the_distiller_train_the_folds_asked_for(
    argv: list[str], expected: list[int | None]
) -> None:
    parser = argparse.ArgumentParser()
    add_fold_arguments(parser)
    assert chosen_folds(parser.parse_args(argv)) == expected
