"""Whether a message nearly repeats a labelled one, for the sets that must stay apart.

Writers who never read each other still reach for the same words, and a message the
screen has nearly seen measures memory, not generalisation. A message nearly repeats a
labelled one when half its own word trigrams are in that message, or half of that
message's trigrams are in it; the second only for a labelled message of at least
`MIN_TRIGRAMS`, so that a short phrase ("cheers, speak next week") inside a long
check-in does not count. The tests keep the data, the waiting rounds, the sets of other
writers and the decision set apart by this rule; a new set has its near repeats dropped
by it before it is merged (data/risk/README.md).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence

from safety.risk.dataset import Example

NEAR_REPEAT_SHARE = 0.5
MIN_TRIGRAMS = 5
_WORD = re.compile(r"\w+")


def words_of(text: str) -> str:
    """The text's words, lower case, one space apart: two messages that differ only in
    case, spacing or punctuation are the same message."""
    return " ".join(_WORD.findall(text.lower()))


def trigrams(text: str) -> set[tuple[str, ...]]:
    words = _WORD.findall(text.lower())
    return {tuple(words[i : i + 3]) for i in range(len(words) - 2)}


def near_repeats(candidates: Sequence[Example], labelled: Sequence[Example]) -> list[str]:
    """The family of each candidate that nearly repeats a labelled message, in order."""
    index: defaultdict[tuple[str, ...], set[int]] = defaultdict(set)
    sizes = []
    for row, example in enumerate(labelled):
        grams = trigrams(example.text)
        sizes.append(len(grams))
        for gram in grams:
            index[gram].add(row)
    found = []
    for example in candidates:
        grams = trigrams(example.text)
        shared: Counter[int] = Counter(row for gram in grams for row in index.get(gram, ()))
        if any(
            n >= NEAR_REPEAT_SHARE * len(grams)
            or (sizes[row] >= MIN_TRIGRAMS and n >= NEAR_REPEAT_SHARE * sizes[row])
            for row, n in shared.items()
        ):
            found.append(example.family)
    return found


def exact_repeats(candidates: Sequence[Example], labelled: Sequence[Example]) -> list[str]:
    """The family of each candidate whose words are a labelled message's, in order."""
    written = {words_of(e.text) for e in labelled}
    return [e.family for e in candidates if words_of(e.text) in written]
