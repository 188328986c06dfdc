"""Runs the 8-bit encoder graph in-process with ONNX Runtime, on one thread.

The graph is built once from the pinned weights (`graph.py`) and kept in the cache
directory (`$SAMTAL_CACHE`, by default ~/.cache/samtal); it is public model data, not
anything a participant wrote. The build is deterministic, so its SHA-256 is pinned
below: a cached file that differs is rebuilt, and a build that differs (another
onnx or ONNX Runtime release) stops the screen with an error instead of screening
with a model nobody measured. Where the cache cannot be written, the model is kept
in memory only.

One thread: the gateway screens one message at a time and keeps the other core for
the homeserver and Rasa. ONNX Runtime releases the GIL while it computes, so the
gateway's worker thread does not stall its event loop.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from safety.risk.encoder.adapter import Adapter, committed_adapter_path, read_adapter
from safety.risk.encoder.graph import BUILDER_VERSION, INPUT, build_quantised
from safety.risk.encoder.tokenizer import Tokenizer
from safety.risk.encoder.weights import (
    WEIGHTS_SHA256,
    E5Weights,
    EncoderError,
    package_weights,
)

if TYPE_CHECKING:
    from numpy.typing import NDArray

MODEL_SHA256 = "8e0754783fa19cb37e705df797b0329e31f2beff38a84a8121da241c0013848f"
HIDDEN = 384
# The embedding: each pooled layer's mean, made unit length, side by side, and the
# whole made unit length again (the committed adapter pools this many layers).
POOLED_COUNT = 3
DIMENSION = HIDDEN * POOLED_COUNT
# One reading covers at most this much text; the screen reads a longer message in
# overlapping stretches from its start to its end (see `safety.risk.semantic`).
MAX_CHARS = 2_000
CACHE_SIZE = 4_096


def cache_root() -> Path:
    return Path(os.environ.get("SAMTAL_CACHE", Path.home() / ".cache" / "samtal"))


def model_path(adapter: Adapter) -> Path:
    name = f"e5-int8-{WEIGHTS_SHA256[:16]}-{adapter.digest[:16]}-v{BUILDER_VERSION}.onnx"
    return cache_root() / "risk" / name


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _save(path: Path, data: bytes) -> None:
    """Write atomically; a cache that cannot be written is not an error."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        scratch = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        scratch.write_bytes(data)
        scratch.replace(path)
    except OSError:
        return


def load_model_bytes(
    weights: E5Weights,
    adapter: Adapter,
    path: Path | None = None,
    pinned: str | None = MODEL_SHA256,
) -> bytes:
    """The 8-bit graph: from the cache when it matches the pinned digest, else built.
    Unpinned (`pinned=None`) only in training, for a fold's adapter: the cache file is
    then trusted as built."""
    path = path or model_path(adapter)
    try:
        cached = path.read_bytes()
    except OSError:
        cached = b""
    if cached and (pinned is None or _digest(cached) == pinned):
        return cached
    built = build_quantised(weights, adapter)
    if pinned is not None and _digest(built) != pinned:
        raise EncoderError("the encoder graph built here does not match the pinned SHA-256")
    _save(path, built)
    return built


def _session(model: bytes) -> Any:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    options.log_severity_level = 3  # errors only; it never sees text either way
    return onnxruntime.InferenceSession(model, options, providers=["CPUExecutionProvider"])


class Encoder:
    """Text to a unit-length vector; memoises recent texts.

    Production reads the committed adapter and the pinned graph; training passes a
    fold's adapter (`adapter_path`), whose graph is built unpinned."""

    def __init__(self, adapter_path: Path | None = None) -> None:
        self._weights = E5Weights(package_weights())
        self._tokenizer = Tokenizer(self._weights.vocabulary)
        adapter = read_adapter(adapter_path or committed_adapter_path())
        self._pooled = len(adapter.pooled)
        self.prefix = adapter.prefix  # read before each message, as the fine-tuning did
        self.dimension = HIDDEN * self._pooled
        pinned = MODEL_SHA256 if adapter_path is None else None
        model = load_model_bytes(self._weights, adapter, pinned=pinned)
        self.model_digest = _digest(model)
        # The same graph reading another prefix gives other embeddings.
        self.reading_digest = _digest(f"{self.model_digest}\n{self.prefix}".encode())
        self._session = _session(model)
        vocabulary = self._weights.vocabulary
        self._bos, self._eos = vocabulary.bos, vocabulary.eos
        self._window = self._weights.shape.max_positions - 2  # tokens between the markers
        # Keyed by a digest, so the gateway's memory holds no message text.
        self._cache: OrderedDict[bytes, NDArray[np.float32]] = OrderedDict()
        self._lock = threading.Lock()  # guards the memo and the tokenizer's memo

    def encode(self, text: str) -> NDArray[np.float32]:
        """One text's embedding, read after the adapter's prefix."""
        text = text[:MAX_CHARS]
        key = hashlib.blake2b(text.encode("utf-8", "replace"), digest_size=16).digest()
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
            vector = self._embed(self._tokenizer.ids(self.prefix + text))
            self._cache[key] = vector
            if len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
            return vector

    def _embed(self, ids: list[int]) -> NDArray[np.float32]:
        """Per pooled layer, the mean of the token states; a text longer than the
        model's 512 positions is read in windows, weighted by their token counts."""
        total = np.zeros((self._pooled, HIDDEN), dtype=np.float64)
        for start in range(0, max(len(ids), 1), self._window):
            chunk = ids[start : start + self._window]
            sequence = np.array([self._bos, *chunk, self._eos], dtype=np.int64)
            pooled = self._session.run(None, {INPUT: self._weights.word_rows(sequence)})
            total += max(len(chunk), 1) * np.stack(pooled).astype(np.float64)
        total /= np.maximum(np.linalg.norm(total, axis=1, keepdims=True), 1e-12)
        joined: NDArray[np.float32] = (total.reshape(-1) / np.sqrt(self._pooled)).astype(np.float32)
        return joined

    def forget(self) -> None:
        """Drop both memos (texts and words), so the next text is read cold."""
        with self._lock:
            self._cache.clear()
            self._tokenizer.forget()

    def encode_many(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """Embeddings of several texts, one row each (used in training and evaluation)."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([self.encode(t) for t in texts])
