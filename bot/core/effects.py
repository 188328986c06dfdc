"""Effects: what the dialogue reports happened, applied by the gateway only.

Effects are validated against the JSON Schema the action server also uses,
then folded into the participant's state by a pure function.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema

from bot.core.model import Participant
from bot.errors import SamtalError


class InvalidEffects(SamtalError):
    """The dialogue sent an effects payload that does not match the schema."""


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[Any]:
    """JSON Schema's ``pattern`` is an ECMA-262 regex, whose ``$`` ends the string.
    jsonschema runs it with Python's ``re``, whose ``$`` also matches before a final
    newline, so ``"sv\\n"`` would pass ``^[a-z]{2,3}$``; ``\\Z`` ends the string."""
    if not validator.is_type(instance, "string"):
        return
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        pattern = pattern[:-1] + r"\Z"
    if re.search(pattern, instance) is None:
        yield jsonschema.ValidationError(f"does not match {pattern!r}")


_Validator = jsonschema.validators.extend(
    jsonschema.Draft202012Validator, validators={"pattern": _pattern}
)


class EffectValidator:
    def __init__(self, schema_path: Path) -> None:
        schema = json.loads(schema_path.read_text())
        self._validator = _Validator(schema)

    def __call__(self, payload: Mapping[str, Any]) -> None:
        error = jsonschema.exceptions.best_match(self._validator.iter_errors(dict(payload)))
        if error is not None:
            raise InvalidEffects(f"effects payload rejected at {list(error.absolute_path)}")


def apply_effects(
    participant: Participant, effects: Iterable[Mapping[str, Any]], now: float
) -> Participant:
    """Fold effects into participant state. Unknown-to-state effects pass through."""
    for effect in effects:
        kind = effect["type"]
        if kind == "consent_given":
            participant = replace(
                participant, consent_version=effect["version"], consent_at=now, left_at=None
            )
        elif kind == "consent_withdrawn":
            # Withdrawing is leaving the programme's chat: the retention clock starts.
            participant = replace(
                participant,
                consent_version=None,
                consent_at=None,
                left_at=participant.left_at or now,
            )
        elif kind == "consent_declined":
            participant = replace(participant, consent_version=None, consent_at=None)
        elif kind == "paused":
            participant = replace(participant, paused=True)
        elif kind == "resumed":
            participant = replace(participant, paused=False)
        elif kind == "language_changed":
            participant = replace(participant, language=effect["language"])
    return participant
