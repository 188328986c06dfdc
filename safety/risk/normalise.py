"""Text normalisation for matching: one canonical form for text and for patterns.

`normalise` turns a phone-typed message into lower-case, diacritic-free, space-separated
tokens, undoing the usual ways of hiding a word from a filter:

* case, Swedish diacritics (å→a, ä→a, ö→o; any combining mark), look-alike letters in
  either case;
* invisible characters (zero-width, joiners, direction marks and overrides, variation
  selectors, tags, controls), apostrophes ("don't" → "dont");
* letters split by spaces or punctuation ("k i l l", "k.i.l.l", "d ö d a"), or one to a
  line or by the same wider gap throughout ("k  i  l  l");
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
from itertools import product

# Apostrophes join a word's parts; invisible characters go later (`_INVISIBLE`).
_DROP = "'’‘`´ʼ"
_MAP = {
    "æ": "a", "Æ": "a", "ø": "o", "Ø": "o", "ß": "ss", "œ": "oe",
    # Cyrillic and Greek look-alikes of Latin letters.
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "х": "x", "у": "y", "і": "i",
    "к": "k", "м": "m", "т": "t", "н": "h", "ј": "j", "ѕ": "s", "һ": "h", "ԁ": "d",
    "ԛ": "q", "ԝ": "w", "ӏ": "l", "в": "b",
    "ο": "o", "α": "a", "ε": "e", "ι": "i", "κ": "k", "ρ": "p", "τ": "t", "υ": "u",
    "χ": "x", "ν": "v", "β": "b",
    # Weapon and pill emoji carry meaning; give them words.
    "🔪": " knife ", "🗡": " knife ", "🔫": " gun ", "💊": " pills ", "🪢": " rope ",
}  # fmt: skip
_TABLE = str.maketrans({**dict.fromkeys(_DROP, None), **_MAP})


def _invisible() -> dict[int, None]:
    """Marks, format characters and controls other than whitespace: drawn nowhere, so
    they can hide inside a word. Planes 0, 1 and 14 hold every one a phone can type
    (tags and the supplementary variation selectors are in plane 14)."""
    planes = (range(0x20000), range(0xE0000, 0xE1000))
    return {
        code: None
        for plane in planes
        for code in plane
        if (kind := unicodedata.category(chr(code))) in ("Mn", "Me", "Cf")
        or (kind == "Cc" and not chr(code).isspace())
    }


_INVISIBLE = _invisible()
# The other reading of format and control characters: each a space (`readings`).
# Marks are not among them: a mark belongs to the letter before it.
_GAPS = {code: " " for code in _INVISIBLE if unicodedata.category(chr(code)) not in ("Mn", "Me")}
# Three or more single characters split by one space or 1-2 filler characters, or
# split all the way by the same wider gap or line break ("k  i  l  l", one to a line);
# a double space between such runs still separates words ("s k a  d ö d a").
_UNIT = r"[^\W_]|[@$]"
_SPLIT_WORD = re.compile(
    rf"(?<![^\W_])(?:{_UNIT})(?:(?: |[.\-_*·•~^|+/]{{1,2}})(?:{_UNIT})(?![^\W_])){{2,}}"
    rf"|(?<![^\W_])(?:{_UNIT})(?P<gap>[^\S\n]{{2,3}}|[^\S\n]*\n\s*)(?:{_UNIT})(?![^\W_])"
    rf"(?:(?P=gap)(?:{_UNIT})(?![^\W_]))+"
)
_SPLIT_SEP = re.compile(r"\s|[.\-_*·•~^|+/]")
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
    # Case first: the look-alike table holds lower-case letters only.
    text = text.casefold().translate(_TABLE)
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
    return text.translate(_INVISIBLE)


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


# Runs of format or control characters, each read either way (`readings`).
_GAP_RUN = re.compile("[" + "".join(re.escape(chr(code)) for code in sorted(_GAPS)) + "]+")
# Beyond this many runs, only "all nothing" and "all spaces" are read: 2^4 readings at most.
MAX_GAP_RUNS = 4


def readings(text: str) -> list[str]:
    r"""The forms the patterns read: `normalise(text)`, and, if the text holds format or
    control characters, the forms with each run of them read as nothing or as a space.
    Either can hide a threat: a mark inside a word ("ki\u200bll") is nothing, one between
    words ("kill\x00her") is a gap, and a message may use both. Every mix is read for up
    to `MAX_GAP_RUNS` runs; beyond that, all of them one way or the other."""
    first = normalise(text)
    runs = list(_GAP_RUN.finditer(text))
    if not runs:
        return [first]
    if len(runs) <= MAX_GAP_RUNS:
        choices = list(product(("", " "), repeat=len(runs)))
    else:
        choices = [("",) * len(runs), (" ",) * len(runs)]
    forms = [first]
    for choice in choices:
        parts, end = [], 0
        for run, gap in zip(runs, choice, strict=True):
            parts += [text[end : run.start()], gap]
            end = run.end()
        form = normalise("".join(parts) + text[end:])
        if form not in forms:
            forms.append(form)
    return forms


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
