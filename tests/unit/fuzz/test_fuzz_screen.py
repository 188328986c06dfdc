"""Fuzzing the risk screen: any text, any JSON line, never an exception, linear work.

The screen's contract (``safety.risk.assess``): it never raises on odd text. The
sentence encoder's C engine is swapped for a cheap stand-in in most tests, so the
generated inputs reach the patterns, the normaliser and the classifier heads by the
thousand; the stand-in takes the text the way the engine does (strict UTF-8), and a
smaller run goes through the real engine.

Speed is not asserted here (benchmarks do that). What is asserted is the *shape* of
the work: screening sixteen copies of a text costs about sixteen times one copy,
never the square of it, so no pattern backtracks catastrophically.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from collections.abc import Callable, Iterator

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from safety.risk import semantic
from safety.risk.assess import assess, warm_up
from safety.risk.context import RiskContext
from safety.risk.encoder import DIMENSION
from safety.risk.levels import LEVELS, RiskLevel, Signal
from safety.risk.normalise import normalise
from safety.risk.screen import screen_line

BUDGET = settings.default.max_examples
LANGUAGES = ("sv", "en")


class StandInModel:
    """The real ``readings`` of the text, then deterministic unit vectors from a digest of
    each reading, taken the way the C engine takes text (``text.encode("utf-8")``,
    strict), so text the engine would refuse fails here too. The classifier heads work on
    vectors, not text, and are left to test_fuzz_screen_engine.py."""

    def signal(self, text: str) -> Signal | None:
        parts = semantic.readings(text, windows=True)
        if not parts:
            return None
        vectors = []
        for part in parts:
            seed = hashlib.blake2b(part.encode("utf-8"), digest_size=8).digest()
            vector = np.random.default_rng(int.from_bytes(seed, "big")).standard_normal(DIMENSION)
            vectors.append(vector / np.linalg.norm(vector))
        level = LEVELS[int(np.argmax(np.stack(vectors).sum(axis=0)[:4]))]
        return None if level is RiskLevel.NONE else Signal("stand_in", level, "classifier", "-")


@pytest.fixture(scope="module")
def stand_in_engine() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        # The package re-exports the function `assess` under the module's own name.
        patch.setattr(sys.modules["safety.risk.assess"], "load_semantic_model", StandInModel)
        yield


# Words the patterns look for, the tricks the normaliser undoes, and the odd corners
# of Unicode: lone surrogates (valid in JSON's \uXXXX), NUL, joiners, combining marks.
RISKY = [
    "kill", "k i l l", "k.i.l.l", "k1ll", "kiiiill", "$hoot", "döda", "d ö d a", "mörda",
    "henne", "her", "tonight", "ikväll", "knife", "kniv", "🔪", "🔫", "💊", "never", "aldrig",
    "inte", "don't", "jag ska", "i will", "gonna", "strangle", "strypa", "pills", "rope",
    "could murder a coffee", "döda tiden", "10am", "40", "@", "$", "!", "...", "?!", "—",
]  # fmt: skip
ODD = [
    "\ud800", "\udfff", "\x00", "\u200b", "\u200d", "\ufeff", "\u0301", "\u202e", "\r\n",
    "\t", "\u2028", "\U0010ffff", "\ufffd", "Æ", "ß", "İ", "ﬁ", "Ⅻ", "\u0430",
]  # fmt: skip
any_char = st.characters(exclude_categories=())  # surrogates included
chunk = st.one_of(
    st.sampled_from(RISKY),
    st.sampled_from(ODD),
    st.text(any_char, max_size=12),
    st.text(st.sampled_from(" .-_*·~^|+/:;,!?@$0134579aeiklsöä"), max_size=20),
)
texts = st.lists(chunk, max_size=30).map(lambda parts: " ".join(parts) if parts else "")
contexts = st.builds(
    RiskContext,
    language=st.sampled_from(LANGUAGES),
    in_checkin=st.booleans(),
    stress_scores=st.lists(st.integers(-10, 10), max_size=5),
    recent_levels=st.lists(st.sampled_from(list(RiskLevel)), max_size=3),
    missed_checkin_after_high=st.booleans(),
)


@given(text=texts, ctx=contexts)
@example(text="jag ska döda henne \ud800 ikväll", ctx=RiskContext())
def test_assess_never_raises(stand_in_engine: None, text: str, ctx: RiskContext) -> None:
    result = assess(text, ctx)
    assert isinstance(result.level, RiskLevel)
    assert result.level == max((s.level for s in result.signals), default=RiskLevel.NONE)


json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(any_char)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=8,
)
line_objects = st.fixed_dictionaries(
    {},
    optional={
        "id": json_values,
        "text": texts | json_values,
        "lang": st.sampled_from([*LANGUAGES, "xx", "", "SV"]) | json_values,
    },
)


def _lines() -> st.SearchStrategy[str]:
    as_json = line_objects.map(lambda obj: json.dumps(obj, allow_nan=True))
    garbage = st.text(any_char, max_size=40)
    deep = st.integers(1, 5_000).map(lambda n: "[" * n + "]" * n)
    return as_json | garbage | deep


@given(line=_lines())
@example(line='{"id": 1, "text": "\\ud800 kill her", "lang": "en"}')
@example(line='{"id": NaN, "text": "x", "lang": "en"}')
def test_screen_line_answers_every_line(stand_in_engine: None, line: str) -> None:
    out = json.loads(screen_line(line))
    assert isinstance(out, dict)
    assert ("error" in out) != ("level" in out)
    if "level" in out:
        assert out["level"] in {level.value for level in RiskLevel}


# --- The work grows linearly with the input -------------------------------------------

SMALL, LARGE = 1, 16  # copies of the unit; linear work grows 16x, quadratic 256x
UNIT_CHARS = 1_000
RATIO_BOUND = 64  # four times the linear ratio, a quarter of the quadratic one
ATTEMPTS = 3


def _cost(work: Callable[[], object], repeats: int = 5) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return best


def _growth(text: str) -> float:
    """How much more screening 16 copies of ``text`` costs than one copy: the least of a
    few measurements, so another process on the machine cannot fake a superlinear one."""
    big = text * LARGE
    ctx = RiskContext()
    ratios = []
    for _ in range(ATTEMPTS):
        small_cost = _cost(lambda: assess(text, ctx))
        large_cost = _cost(lambda: assess(big, ctx), repeats=3)
        ratios.append(large_cost / small_cost)
        if ratios[-1] < RATIO_BOUND:
            break
    return min(ratios)


units = st.lists(chunk, min_size=1, max_size=8).map(lambda parts: "".join(parts))
# Shapes known to hurt regex engines: runs, alternating separators, long single tokens.
HOSTILE_UNITS = [
    "a", "k ", "k.", "a.-", "@", "1", "$!", "kil", "d ö ", ". ", "!?", "ä\u0301", "\u200b",
    "k*i_", "x:y", "jag ska ", "never ", "aldrig inte ", "döda ", "🔪",
]  # fmt: skip


@settings(max_examples=max(5, BUDGET // 100))
@given(unit=units | st.sampled_from(HOSTILE_UNITS))
def test_screening_work_is_linear_in_the_input(stand_in_engine: None, unit: str) -> None:
    warm_up()
    text = (unit * (UNIT_CHARS // len(unit) + 1))[:UNIT_CHARS]
    assert _growth(text) < RATIO_BOUND, f"superlinear screening work for unit {unit!r}"


@pytest.mark.parametrize("unit", HOSTILE_UNITS)
def test_hostile_shapes_are_screened_in_linear_work(stand_in_engine: None, unit: str) -> None:
    warm_up()
    text = (unit * (UNIT_CHARS // len(unit) + 1))[:UNIT_CHARS]
    assert _growth(text) < RATIO_BOUND


def test_normalising_a_whole_event_stays_linear() -> None:
    """The largest text a Matrix event can carry (64 KiB) against a sixteenth of it."""
    text = "k.i.l.l h3r t0n1ght!!! " * 180  # ~4 KiB
    ratios = [_cost(lambda: normalise(text * 16), 3) / _cost(lambda: normalise(text)) for _ in "ab"]
    assert min(ratios) < RATIO_BOUND
