"""Enrolment works whether the gateway runs or not: it writes to the vault."""

from __future__ import annotations

import re
from pathlib import Path

from bot.config import load_config
from bot.core.model import Participant
from bot.core.schedule import Schedule
from bot.errors import ConfigError
from bot.state.participants import ParticipantRegistry
from bot.vault_access import open_configured_vault
from safety.audit.log import AuditLog

_MATRIX_ID = re.compile(r"^@[a-z0-9._=\-/+]+:[A-Za-z0-9.\-]+(:\d+)?$")


def validate_matrix_id(value: str) -> str:
    if not _MATRIX_ID.match(value):
        raise ConfigError("not a Matrix user id (expected @name:server)")
    return value


def enroll(
    home: Path, matrix_id: str, language: str, mediator: str | None, schedule: str | None = None
) -> Participant:
    config = load_config(home / "samtal.yaml", home)
    if language not in config.dialogue.languages:
        raise ConfigError(f"language must be one of {', '.join(config.dialogue.languages)}")
    validate_matrix_id(matrix_id)
    if mediator is not None:
        validate_matrix_id(mediator)
    if schedule is not None:
        schedule = Schedule.parse(schedule).spec()
    vault = open_configured_vault(config, create_key=True)
    try:
        participant = ParticipantRegistry(vault).enroll(matrix_id, language, mediator, schedule)
        AuditLog(vault).append(
            "enrolment", "operator", participant.pseudonym, f"language {language}"
        )
        return participant
    finally:
        vault.close()
