"""Hypothesis profiles for the fuzz tests.

``ci`` (the default, used by ``make test``) is reproducible: derandomized, so the
same inputs run every time, and no example database is written. ``thorough``
runs 10,000 inputs per target with fresh randomness:

    HYPOTHESIS_PROFILE=thorough .venv/bin/python -m pytest tests/unit/fuzz -q
"""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis.configuration import set_hypothesis_home_dir

# Hypothesis keeps caches (its Unicode tables) in a home directory; under var/, not
# in the working tree.
set_hypothesis_home_dir(
    os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY")
    or Path(__file__).resolve().parents[3] / "var" / "hypothesis"
)

# Per-target figures: `settings.default.max_examples` is the budget of a cheap
# target; expensive ones (a real HTTP request, the real sentence encoder, a
# timing comparison) take a stated fraction of it.
CI_EXAMPLES = 300
THOROUGH_EXAMPLES = 10_000

_COMMON = {
    "database": None,  # nothing written into the working tree
    "deadline": None,  # speed is checked by the linearity test, not per example
    "suppress_health_check": (HealthCheck.too_slow, HealthCheck.data_too_large),
}
settings.register_profile("ci", max_examples=CI_EXAMPLES, derandomize=True, **_COMMON)
settings.register_profile("thorough", max_examples=THOROUGH_EXAMPLES, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
