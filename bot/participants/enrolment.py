"""Enrolment works whether the gateway runs or not: it writes to the vault."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from bot.config import GatewayConfig, load_config
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


def _checked(
    config: GatewayConfig, language: str, mediator: str | None, schedule: str | None
) -> str | None:
    """Refuse a language, mediator or schedule the deployment cannot use; returns the
    schedule written the one way the gateway keeps it."""
    if language not in config.dialogue.languages:
        raise ConfigError(f"language must be one of {', '.join(config.dialogue.languages)}")
    if mediator is not None:
        validate_matrix_id(mediator)
    return None if schedule is None else Schedule.parse(schedule).spec()


def enroll(
    home: Path, matrix_id: str, language: str, mediator: str | None, schedule: str | None = None
) -> Participant:
    config = load_config(home / "samtal.yaml", home)
    validate_matrix_id(matrix_id)
    schedule = _checked(config, language, mediator, schedule)
    vault = open_configured_vault(config, create_key=True)
    try:
        participant = ParticipantRegistry(vault).enroll(matrix_id, language, mediator, schedule)
        AuditLog(vault).append(
            "enrolment", "operator", participant.pseudonym, f"language {language}"
        )
        return participant
    finally:
        vault.close()


@dataclass(frozen=True)
class TelegramInvitation:
    """What to give a participant enrolled on Telegram: a one-time code, and the link
    that sends it when they press Start (None when the bot's name could not be
    asked for; the code then goes with the words "/start CODE")."""

    code: str
    link: str | None


async def invite_on_telegram(
    home: Path, target: str, language: str, mediator: str | None, schedule: str | None = None
) -> TelegramInvitation:
    """Issue the one-time code for ``telegram:USERNAME_OR_ID``. Enrolment completes when
    that account opens the bot's chat with it; nobody else can use it."""
    config = load_config(home / "samtal.yaml", home)
    if config.telegram is None:
        raise ConfigError("Telegram is not turned on: add a telegram section to samtal.yaml")
    schedule = _checked(config, language, mediator, schedule)
    # Imported here: only a Telegram enrolment needs aiogram.
    from bot.transports.telegram.enrolment_codes import EnrolmentCodes, deep_link
    from bot.transports.telegram.naming import bot_username

    vault = open_configured_vault(config, create_key=True)
    try:
        code = EnrolmentCodes(vault).issue(target, language, mediator, schedule)
        AuditLog(vault).append("enrolment", "operator", "telegram", f"link issued, {language}")
    finally:
        vault.close()
    name = await bot_username(config.telegram)
    return TelegramInvitation(code, None if name is None else deep_link(name, code))
