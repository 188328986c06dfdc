"""The risk screen with the real sentence encoder: odd text never raises.

Fewer inputs than test_fuzz_screen.py (the engine takes milliseconds per text);
the stand-in there takes text the same way, so the two agree on what is refused.
"""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from safety.risk.assess import assess
from safety.risk.context import RiskContext
from safety.risk.levels import RiskLevel

BUDGET = settings.default.max_examples
any_char = st.characters(exclude_categories=())  # surrogates included


@settings(max_examples=max(20, BUDGET // 50))
@given(text=st.text(any_char, max_size=60))
@example(text="\ud800")
@example(text="a\x00b")
def test_assess_with_the_real_engine_never_raises(text: str) -> None:
    assert isinstance(assess(text, RiskContext()).level, RiskLevel)
