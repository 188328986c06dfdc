"""The screen's fine-tuning of the encoder: low-rank updates to its linear maps.

The published multilingual-e5-small was trained to match search queries to answers,
which blurs intent into topic: "no way I'd lay a finger on her" sat near a threat. The
screen fine-tunes it on the training families, with the screen's own questions as the
objective (`safety.risk.finetune`), and keeps only what changed: for each linear map
of each layer it runs, an update `up · down` of low rank (16 for the fine-tuned
encoder, 16 + 64 for one distilled from it), stored in half precision in
`adapter.npz` (a few megabytes beside the pinned 4-bit weights). The file also says
which of the model's layers the screen runs (`source`: a smaller encoder distilled
from the fine-tuned one runs every other layer, `safety.risk.finetune.distil`) and
which of those it pools, and what the encoder reads before each message (`prefix`):
e5 was published to read "query: " first, and a file that names none was trained so.

Merging is deterministic on every machine: the factors are multiplied in double
precision and summed in a fixed order by element-wise operations (no BLAS, whose
order of summation depends on the processor), so the built graph's digest can stay
pinned (`runtime.py`). Training rounds the factors to half precision as they are
stored, and the out-of-fold figures are read through graphs built from the stored
files, so what is measured is what ships.
"""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from safety.risk.encoder.weights import LINEARS, EncoderError

if TYPE_CHECKING:
    from numpy.typing import NDArray

ADAPTER_FILE = "adapter.npz"
# What the published e5 reads before a search query, and so before each message when a
# fine-tuning file names no prefix of its own.
E5_QUERY_PREFIX = "query: "
MAX_PREFIX = 64


Update = tuple["NDArray[np.floating[Any]]", "NDArray[np.floating[Any]]"]


def side_by_side(first: Update, second: Update) -> Update:
    """Two updates of one map as one: [up₁ up₂] · [down₁; down₂] = up₁·down₁ + up₂·down₂.
    A distilled layer keeps its teacher's update and its own this way."""
    (up_1, down_1), (up_2, down_2) = first, second
    if up_1.shape[0] != up_2.shape[0] or down_1.shape[1] != down_2.shape[1]:
        raise EncoderError("two updates of different maps cannot be joined")
    return (
        np.concatenate([up_1.astype(np.float32), up_2.astype(np.float32)], axis=1),
        np.concatenate([down_1.astype(np.float32), down_2.astype(np.float32)], axis=0),
    )


@dataclass(frozen=True)
class Adapter:
    source: tuple[int, ...]  # the model's layer (1-based) each run layer starts from
    pooled: tuple[int, ...]  # 1-based run layers whose mean-pooled states form the embedding
    updates: Mapping[str, tuple[NDArray[np.float16], NDArray[np.float16]]]  # l{i}.{name}
    digest: str  # SHA-256 of the file: keys the built graph's cache
    data_digest: str  # the training data it was fitted on
    # What the encoder reads before the message: the fine-tuning learned to read it so.
    prefix: str = E5_QUERY_PREFIX

    @property
    def layers(self) -> int:
        """How many layers run."""
        return len(self.source)

    def beneath(self, source: Sequence[int], own: Mapping[str, Update]) -> dict[str, Update]:
        """A distilled encoder's updates (`own`, keyed `l{i}.{name}`; its layer i starts
        from model layer `source[i]`) joined to this adapter's updates of those model
        layers: the student trained on weights with the teacher's updates merged, so
        the file must carry both, and each map's one update is their sum."""
        if any(m not in self.source for m in source):
            raise EncoderError("the encoder's fine-tuning file lacks a layer to build on")
        known = {f"l{i}.{name}" for i in range(len(source)) for name in LINEARS}
        if not set(own) <= known:
            raise EncoderError("the encoder's fine-tuning file updates maps the model lacks")
        joined: dict[str, Update] = {}
        for index, model_layer in enumerate(source):
            for name in LINEARS:
                key = f"l{index}.{name}"
                base: Update | None = self.updates.get(f"l{self.source.index(model_layer)}.{name}")
                update = own.get(key)
                if base is not None and update is not None:
                    joined[key] = side_by_side(base, update)
                elif base is not None:
                    joined[key] = base
                elif update is not None:
                    joined[key] = update
        return joined

    def merge(self, index: int, tensors: dict[str, NDArray[np.float32]]) -> None:
        """Add this layer's updates to its matrices (`NAME.w`, [out, in]) in place."""
        for name in LINEARS:
            update = self.updates.get(f"l{index}.{name}")
            if update is None:
                continue
            up, down = (factor.astype(np.float64) for factor in update)
            total = tensors[f"{name}.w"].astype(np.float64)
            if up.ndim != 2 or down.ndim != 2 or (up.shape[0], down.shape[1]) != total.shape:
                raise EncoderError("the encoder's fine-tuning file does not fit the model")
            if up.shape[1] != down.shape[0]:
                raise EncoderError("the encoder's fine-tuning file does not fit the model")
            for k in range(up.shape[1]):
                total += up[:, k : k + 1] * down[k : k + 1, :]
            tensors[f"{name}.w"] = total.astype(np.float32)


def adapter_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_adapter(path: Path, model_layers: int = 12) -> Adapter:
    """An adapter file (NumPy arrays only, read without pickle) for a model of
    `model_layers` layers."""
    try:
        with np.load(path, allow_pickle=False) as data:
            layers = int(data["layers"])
            # Files written before distillation have no source list: they run the
            # model's first layers.
            source = (
                tuple(int(n) for n in data["source"])
                if "source" in data.files
                else tuple(range(1, layers + 1))
            )
            pooled = tuple(int(n) for n in data["pooled"])
            updates = {
                key[: -len(".up")]: (
                    data[key].astype(np.float16),
                    data[key[: -len(".up")] + ".down"].astype(np.float16),
                )
                for key in data.files
                if key.endswith(".up")
            }
            data_digest = str(data["data_digest"])
            prefix = str(data["prefix"]) if "prefix" in data.files else E5_QUERY_PREFIX
    except (OSError, KeyError, ValueError, TypeError, EOFError, zipfile.BadZipFile) as exc:
        raise EncoderError("the encoder's fine-tuning file is missing or unreadable") from exc
    if not 1 <= layers <= model_layers or len(source) != layers:
        raise EncoderError("the encoder's fine-tuning file runs layers the model lacks")
    if min(source) < 1 or max(source) > model_layers:
        raise EncoderError("the encoder's fine-tuning file runs layers the model lacks")
    if list(source) != sorted(set(source)):
        raise EncoderError("the encoder's fine-tuning file runs a layer twice or out of order")
    if not pooled or max(pooled) > layers or min(pooled) < 1:
        raise EncoderError("the encoder's fine-tuning file pools layers it does not run")
    known = {f"l{index}.{name}" for index in range(layers) for name in LINEARS}
    if not set(updates) <= known:
        raise EncoderError("the encoder's fine-tuning file updates maps the model lacks")
    if len(prefix) > MAX_PREFIX:
        raise EncoderError("the encoder's fine-tuning file names too long a prefix")
    return Adapter(source, pooled, updates, adapter_digest(path), data_digest, prefix)


def committed_adapter_path() -> Path:
    with resources.as_file(resources.files("safety.risk.encoder").joinpath(ADAPTER_FILE)) as path:
        return Path(path)
