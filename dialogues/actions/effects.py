"""Effects: what happened in the dialogue, as plain data for the gateway.

Every payload is checked against ``dialogues/effects.schema.json`` before it
is sent, as ``{"samtal": {"kind": "effects", "effects": [...]}}``.
"""

from __future__ import annotations

import json
import logging
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

from jsonschema import Draft202012Validator
from rasa_sdk.executor import CollectingDispatcher

logger = logging.getLogger(__name__)

SCHEMA_PATH: Final = Path(__file__).resolve().parent.parent / "effects.schema.json"

Effect = dict[str, Any]


class EffectsSchemaError(RuntimeError):
    """An effects payload broke the schema.

    The message names only JSON paths, never values, because values can be
    a participant's answers.
    """


@lru_cache(maxsize=1)
def _validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def consent_given(version: str) -> Effect:
    return {"type": "consent_given", "version": version}


def consent_declined() -> Effect:
    return {"type": "consent_declined"}


def consent_withdrawn() -> Effect:
    return {"type": "consent_withdrawn"}


def checkin_answer(question: str, value: str | int) -> Effect:
    return {"type": "checkin_answer", "question": question, "value": value}


def checkin_completed() -> Effect:
    return {"type": "checkin_completed"}


def paused() -> Effect:
    return {"type": "paused"}


def resumed() -> Effect:
    return {"type": "resumed"}


def risk_flag(level: str, signals: list[str]) -> Effect:
    """Signals are category names (``self_harm_thoughts``), never message text."""
    return {"type": "risk_flag", "level": level, "signals": list(signals)}


def handoff_requested(reason: str) -> Effect:
    return {"type": "handoff_requested", "reason": reason}


def deletion_requested() -> Effect:
    return {"type": "deletion_requested"}


def language_changed(language: str) -> Effect:
    return {"type": "language_changed", "language": language}


def payload(effects: list[Effect]) -> dict[str, Any]:
    """The effects payload (the value under ``custom.samtal``)."""
    return {"kind": "effects", "effects": list(effects)}


def validate(effects_payload: dict[str, Any]) -> None:
    """Raise EffectsSchemaError if the payload breaks the schema."""
    paths = sorted(
        "/".join(str(part) for part in error.absolute_path) or "<root>"
        for error in _validator().iter_errors(effects_payload)
    )
    if paths:
        logger.error("effects payload failed schema validation")
        raise EffectsSchemaError(
            "effects payload breaks effects.schema.json at: " + ", ".join(paths)
        )


def emit(dispatcher: CollectingDispatcher, *effects: Effect) -> None:
    """Validate and send one effects payload holding ``effects``.

    Raises EffectsSchemaError (and sends nothing) if the payload breaks the
    schema: a broken effect never reaches the gateway.
    """
    effects_payload = payload(list(effects))
    validate(effects_payload)
    dispatcher.utter_message(json_message={"samtal": effects_payload})
