"""The effects schema the gateway and the action server both validate against."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jsonschema

from safety.flow_audit.oracle import Validate


def load_validator(project: Path) -> Validate:
    schema = json.loads((project / "dialogues" / "effects.schema.json").read_text("utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)

    def validate(payload: Mapping[str, Any]) -> list[str]:
        return sorted(
            "/".join(str(part) for part in error.absolute_path) or "<root>"
            for error in validator.iter_errors(dict(payload))
        )

    return validate
