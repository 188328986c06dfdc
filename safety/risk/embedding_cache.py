"""Embeddings of the labelled data, cached on disk so training and evaluation re-run fast.

The cache is keyed by the encoder graph's digest with the prefix it reads first, and
by the SHA-256 of each text, and holds only vectors: it is derived from the committed
synthetic data, never from anything a participant wrote.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from safety.risk.encoder import Encoder, load_encoder

if TYPE_CHECKING:
    from numpy.typing import NDArray


def cache_path(encoder: Encoder) -> Path:
    root = Path(os.environ.get("SAMTAL_CACHE", Path.home() / ".cache" / "samtal"))
    return root / "risk" / f"embeddings-{encoder.reading_digest[:16]}.npz"


def _key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def embed_texts(
    texts: Sequence[str], path: Path | None = None, encoder: Encoder | None = None
) -> NDArray[np.float32]:
    """One embedding row per text, computing only those the cache lacks (with the
    production encoder unless another, such as a training fold's, is given)."""
    encoder = encoder or load_encoder()
    path = path or cache_path(encoder)
    known: dict[str, NDArray[np.float32]] = {}
    if path.exists():
        with np.load(path, allow_pickle=False) as data:
            known = dict(zip((str(k) for k in data["keys"]), data["vectors"], strict=True))
    keys = [_key(t) for t in texts]
    missing = [(k, t) for k, t in dict(zip(keys, texts, strict=True)).items() if k not in known]
    if missing:
        for key, text in missing:
            known[key] = encoder.encode(text)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, keys=np.array(list(known)), vectors=np.stack(list(known.values())))
        tmp.replace(path)
    if not keys:
        return np.zeros((0, encoder.dimension), dtype=np.float32)
    return np.stack([known[k] for k in keys]).astype(np.float32)
