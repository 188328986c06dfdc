"""Fuzzing the config loader: any file gives a usable config or a ConfigError that says
what is wrong, never a traceback of another type."""

from __future__ import annotations

import copy
import math
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import example, given
from hypothesis import strategies as st

from bot.config import GatewayConfig, load_config
from bot.errors import ConfigError

VALID: dict[str, Any] = yaml.safe_load(
    (Path(__file__).resolve().parents[3] / "samtal.example.yaml").read_text()
)
SECRET_FILES = [
    "secrets/rasa.token", "secrets/pickle.key", "secrets/kek.hex", "secrets/bot.password",
    "secrets/open.token", "secrets/binary", "secrets/dir", "secrets", ".", "missing", "",
    "secrets/vault.url", "\x00", "../outside",
]  # fmt: skip


@pytest.fixture(scope="module")
def home() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as tmp, pytest.MonkeyPatch.context() as patch:
        for name in ("SAMTAL_PICKLE_KEY", "SAMTAL_RASA_TOKEN", "SAMTAL_VAULT_URL"):
            patch.delenv(name, raising=False)
        root = Path(tmp)
        os.chmod(root, 0o700)
        secrets = root / "secrets"
        (secrets / "dir").mkdir(parents=True, mode=0o700)
        os.chmod(secrets, 0o700)
        for name, body, mode in (
            ("rasa.token", b"t" * 40, 0o600),
            ("pickle.key", b"p" * 40, 0o600),
            ("kek.hex", b"00" * 32, 0o600),
            ("bot.password", b"password", 0o600),
            ("open.token", b"o" * 40, 0o644),
            ("binary", b"\xff\xfe\x00" * 20, 0o600),
            ("vault.url", b"sqlite:///x.db", 0o600),
        ):
            (secrets / name).write_bytes(body)
            os.chmod(secrets / name, mode)
        yield root


yaml_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=12),
    st.sampled_from(SECRET_FILES),
    st.sampled_from(["nan", ".nan", ".inf", "-.inf", "1e400", "22:00-07:00", "25:00", "08:00",
                     "Europe/Stockholm", "Europe", "/etc/passwd", "UTC", "sv", "http://[::1",
                     "http://127.0.0.1:5005", "postgresql://x", "2026-01-01", "-1", "0"]),
)  # fmt: skip
yaml_values = st.recursive(
    yaml_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(yaml_scalars, inner, max_size=3),
    max_leaves=6,
)


@st.composite
def mutated(draw: st.DrawFn) -> dict[str, Any]:
    """The example config with a few sections or settings replaced by arbitrary values."""
    config = copy.deepcopy(VALID)
    for _ in range(draw(st.integers(1, 4))):
        section = draw(st.sampled_from([*VALID, "storage", "unknown"]))
        current = config.get(section)
        if isinstance(current, dict) and current and draw(st.booleans()):
            key = draw(st.sampled_from([*current, "utc_offset_minutes", "timeout_seconds"]))
            if draw(st.booleans()):
                current[key] = draw(yaml_values)
            else:
                current.pop(key, None)
        else:
            config[section] = draw(yaml_values)
    return config


def _dump(value: Any) -> bytes:
    return yaml.safe_dump(value, allow_unicode=True).encode()


documents = st.one_of(
    mutated().map(_dump),
    yaml_values.map(_dump),
    st.text(max_size=200).map(str.encode),
    st.binary(max_size=200),
)


def _check_usable(config: GatewayConfig) -> None:
    """What a loaded config promises: every figure finite, the zone usable."""
    assert config.dialogue.zone is not None
    assert math.isfinite(config.retention_seconds) and config.retention_seconds > 0
    assert math.isfinite(config.rasa.timeout_seconds)
    assert math.isfinite(config.checkins.tick_seconds) and config.checkins.tick_seconds > 0
    timing = config.checkins.timing
    for value in vars(timing).values():
        assert not isinstance(value, float) or math.isfinite(value)
    assert all(isinstance(lang, str) for lang in config.dialogue.languages)
    for seconds in config.escalation.policy.ack_seconds.values():
        assert math.isfinite(seconds) and seconds > 0


@given(document=documents)
@example(document=_dump({**VALID, "retention": {"days_after_leaving": float("nan")}}))
@example(document=_dump({**VALID, "rasa": {**VALID["rasa"], "timeout_seconds": [1]}}))
@example(document=b"\xff\xfe")
def test_any_config_file_loads_or_says_why(home: Path, document: bytes) -> None:
    path = home / "samtal.yaml"
    path.write_bytes(document)
    try:
        config = load_config(path, home)
    except ConfigError as exc:
        assert str(exc)
        return
    _check_usable(config)
