"""SentencePiece unigram tokenisation, as multilingual-e5-small (XLM-R) was trained with.

Text is normalised code point by code point, runs of spaces fold to one, a leading
space marker is added and every space becomes the metaspace "▁". The pieces are then
the most probable segmentation under the vocabulary's scores (Viterbi), with one
unknown token per character nothing covers.

No vocabulary piece has "▁" anywhere but first, so every "▁" starts a piece and the
best segmentation of a text is the best segmentation of each "▁word" on its own.
That makes a per-word memo exact, and most words of a conversation recur.
"""

from __future__ import annotations

import hashlib
import re
from collections import OrderedDict

from safety.risk.encoder.weights import Vocabulary

METASPACE = "\u2581"
MEMO_WORDS = 50_000
_WORD = re.compile(f"{METASPACE}[^{METASPACE}]*|[^{METASPACE}]+")
UNKNOWN_PENALTY = 10.0  # below the least likely piece, as SentencePiece scores unknowns


class Tokenizer:
    """Text to token ids (without the sentence markers)."""

    def __init__(self, vocabulary: Vocabulary) -> None:
        self._unk = vocabulary.unk
        self._scores = [float(s) for s in vocabulary.scores]
        self._ids = {
            piece: index
            for index, piece in enumerate(vocabulary.pieces)
            if piece and index != vocabulary.unk
        }
        self._longest = max(len(piece) for piece in vocabulary.pieces)
        self._unknown_score = min(self._scores) - UNKNOWN_PENALTY
        self._normalise = str.maketrans(vocabulary.normalisation)
        # Keyed by a digest of the word, so the gateway's memory holds no words of
        # anyone's messages, as the encoder's own memo holds no text.
        self._memo: OrderedDict[bytes, tuple[int, ...]] = OrderedDict()

    def ids(self, text: str) -> list[int]:
        result: list[int] = []
        for word in _WORD.findall(self.marked(text)):
            result.extend(self._word(word))
        return result

    def forget(self) -> None:
        self._memo.clear()

    def marked(self, text: str) -> str:
        """The text as the vocabulary spells it: normalised, spaces folded, "▁" for each
        space and one in front."""
        normalised = text.translate(self._normalise)
        folded = _fold(normalised) if "  " in normalised else normalised
        return ("" if folded.startswith(" ") else METASPACE) + folded.replace(" ", METASPACE)

    def _word(self, word: str) -> tuple[int, ...]:
        key = hashlib.blake2b(word.encode("utf-8", "replace"), digest_size=16).digest()
        hit = self._memo.get(key)
        if hit is not None:
            self._memo.move_to_end(key)
            return hit
        ids = self._viterbi(word)
        self._memo[key] = ids
        if len(self._memo) > MEMO_WORDS:
            self._memo.popitem(last=False)
        return ids

    def _viterbi(self, word: str) -> tuple[int, ...]:
        n = len(word)
        best = [float("-inf")] * (n + 1)
        best[0] = 0.0
        piece_at = [0] * (n + 1)  # token id ending here; -1 for an unknown character
        start_of = [0] * (n + 1)
        for start in range(n):
            base = best[start]
            if base == float("-inf"):
                continue
            for end in range(start + 1, min(n, start + self._longest) + 1):
                index = self._ids.get(word[start:end])
                if index is not None and base + self._scores[index] > best[end]:
                    best[end] = base + self._scores[index]
                    piece_at[end], start_of[end] = index, start
            if base + self._unknown_score > best[start + 1]:
                best[start + 1] = base + self._unknown_score
                piece_at[start + 1], start_of[start + 1] = -1, start
        ids: list[int] = []
        at = n
        while at > 0:
            ids.append(self._unk if piece_at[at] < 0 else piece_at[at])
            at = start_of[at]
        return tuple(reversed(ids))


def _fold(text: str) -> str:
    """Runs of two or more U+0020 become one (other whitespace is left as it is)."""
    out: list[str] = []
    for char in text:
        if char == " " and out and out[-1] == " ":
            continue
        out.append(char)
    return "".join(out)
