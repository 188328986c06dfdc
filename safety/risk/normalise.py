"""Text normalisation for matching: one canonical form for text and for patterns.

`normalise` turns a phone-typed message into lower-case, diacritic-free, space-separated
tokens, undoing the usual ways of hiding a word from a filter:

* case, Swedish diacritics (å→a, ä→a, ö→o; any combining mark), look-alike letters;
* zero-width and joiner characters, apostrophes ("don't" → "dont");
* letters split by spaces or punctuation ("k i l l", "k.i.l.l", "d ö d a");
* leetspeak inside words ("k1ll", "h4te", "$hoot", "j@g"), but not plain numbers ("40", "10am");
* stretched letters: every run of a repeated letter collapses to one ("kiiiill" → "kil").

Because runs collapse, "kill" itself becomes "kil"; `fold_pattern` applies the same
folding to pattern source, so patterns are written in ordinary spelling, with or
without å/ä/ö, and still match. Sentence punctuation survives as separate tokens
(". , ! ? ; :") because negation scope stops at clause boundaries.
"""

from __future__ import annotations

import re
import unicodedata

_DROP = "\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e\ufe0e\ufe0f'’‘`´ʼ"
_MAP = {
    "æ": "a", "Æ": "a", "ø": "o", "Ø": "o", "ß": "ss", "œ": "oe",
    # Cyrillic and Greek look-alikes of Latin letters.
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "х": "x", "у": "y", "і": "i",
    "к": "k", "м": "m", "т": "t", "н": "h", "ο": "o", "α": "a", "ε": "e", "ι": "i",
    # Weapon and pill emoji carry meaning; give them words.
    "🔪": " knife ", "🗡": " knife ", "🔫": " gun ", "💊": " pills ", "🪢": " rope ",
}  # fmt: skip
_TABLE = str.maketrans({**dict.fromkeys(_DROP, None), **_MAP})

_COMBINING = re.compile(r"[\u0300-\u036f]+")
# Three or more single characters split by one space or 1-2 filler characters.
_UNIT = r"[^\W_]|[@$]"
_SPLIT_WORD = re.compile(
    rf"(?<![^\W_])(?:{_UNIT})(?:(?: |[.\-_*·•~^|+/]{{1,2}})(?:{_UNIT})(?![^\W_])){{2,}}"
)
_SPLIT_SEP = re.compile(r" |[.\-_*·•~^|+/]")
_INNER_PUNCT = re.compile(r"(?<=[^\W\d_])[*_·•~^|:](?=[^\W\d_])")
# Whole tokens, checked for leet characters in `_unleet`: a pattern that looks for
# the leet character itself backtracks quadratically on a long token.
_LEET_TOKEN = re.compile(r"\S+")
_LEET_CHARS = frozenset("013457@$!")
_NUMBER_WITH_UNIT = re.compile(r"\d+[^\W\d_]{0,3}")
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t",
                       "@": "a", "$": "s", "!": "i"})  # fmt: skip
_JUNK = re.compile(r"[^\w.,!?;:]|_")
_PUNCT = re.compile(r"([.,!?;:])[.,!?;:\s]*")
_REPEAT = re.compile(r"([^\W\d_])\1+")
_SPACES = re.compile(r"\s+")


def _fold_chars(text: str) -> str:
    text = text.translate(_TABLE).casefold()
    if not text.isascii():
        text = _COMBINING.sub("", unicodedata.normalize("NFKD", text))
    return text


def _join_split(match: re.Match[str]) -> str:
    return _SPLIT_SEP.sub("", match.group(0))


def _unleet(match: re.Match[str]) -> str:
    token = match.group(0)
    if _LEET_CHARS.isdisjoint(token):
        return token
    core = token.strip(".,!?;:")
    if not any(c.isalpha() for c in core) or _NUMBER_WITH_UNIT.fullmatch(core):
        return token
    lead = token[: len(token) - len(token.lstrip(".,!?;:"))]
    return lead + core.translate(_LEET) + token[len(lead) + len(core) :]


def normalise(text: str) -> str:
    """Return the canonical matching form of `text` (see module docstring)."""
    text = _fold_chars(text)
    text = _SPLIT_WORD.sub(_join_split, text)
    text = _INNER_PUNCT.sub("", text)
    text = _LEET_TOKEN.sub(_unleet, text)
    text = _JUNK.sub(" ", text)
    text = _PUNCT.sub(r" \1 ", text)
    text = _REPEAT.sub(r"\1", text)
    return _SPACES.sub(" ", text).strip()


_ESCAPE = re.compile(r"(\\.)")


def fold_pattern(source: str) -> str:
    """Fold regex source the way `normalise` folds text, leaving escapes (\\b, \\S) intact."""
    parts = _ESCAPE.split(source)
    return "".join(p if i % 2 else _fold_literal(p) for i, p in enumerate(parts))


_LETTER_COLON = re.compile(r"(?<=[^\W\d_]):(?=[^\W\d_])")


def _fold_literal(part: str) -> str:
    return _REPEAT.sub(r"\1", _LETTER_COLON.sub("", _fold_chars(part)))
