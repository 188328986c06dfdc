"""Turn a plain word list into an equivalent, faster regex.

Python's `re` tries every alternative of `(?:döda|dödar|dödade|...)` at every position.
The same words as a trie, `(?:död(?:a(?:r|de)?)|...)`, branch once per distinct letter,
which makes the verb and weapon macros several times faster. Only alternations of
letters and spaces qualify; anything with regex syntax is left as written.
"""

from __future__ import annotations

import re

_WORD_LIST = re.compile(r"\(\?:([^\W\d_]+(?: [^\W\d_]+)*(?:\|[^\W\d_]+(?: [^\W\d_]+)*)+)\)")

_Node = dict[str, "_Node"]
_END = ""


def _insert(root: _Node, word: str) -> None:
    node = root
    for ch in word:
        node = node.setdefault(ch, {})
    node[_END] = {}


def _render(node: _Node) -> str:
    optional = _END in node
    branches = [ch + _render(child) for ch, child in sorted(node.items()) if ch != _END]
    if not branches:
        return ""
    if len(branches) == 1 and not optional:
        return branches[0]
    body = "|".join(branches)
    if len(branches) == 1 and len(branches[0]) == 1:
        return body + "?"
    return f"(?:{body})" + ("?" if optional else "")


def trie_regex(words: list[str]) -> str:
    """A regex matching exactly `words` (letters and spaces only)."""
    root: _Node = {}
    for word in words:
        _insert(root, word)
    return f"(?:{_render(root)})"


def optimise_word_lists(source: str) -> str:
    """Replace every `(?:word|word two|...)` group of plain words in `source` by a trie."""
    return _WORD_LIST.sub(lambda m: trie_regex(m.group(1).split("|")), source)
