"""Operator commands: forget, export, audit verify, keys rotate."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

from bot.cli.instance_lock import gateway_lock_path, is_held
from bot.config import GatewayConfig, load_config, samtal_home
from bot.errors import ConfigError
from bot.ids import ParticipantId, participant_code
from bot.participants.deletion import ForgetRequests
from bot.state.participants import ParticipantRegistry
from bot.vault_access import open_configured_vault
from safety.audit import head_from_json, verify_audit
from safety.audit.log import AuditLog
from safety.participant_data import export, forget
from safety.vault import Vault, check_records, load_or_create_key_file
from safety.vault.rotation import rotate_keys

FORGET_WAIT_SECONDS = 60.0


def _config() -> GatewayConfig:
    home = samtal_home()
    return load_config(home / "samtal.yaml", home)


def _vault_url(config: GatewayConfig) -> str:
    return config.vault_url


def _open(config: GatewayConfig) -> Vault:
    return open_configured_vault(config)


def _gateway_running(config: GatewayConfig) -> bool:
    return is_held(gateway_lock_path(config.home))


def _participant(vault: Vault, code: str) -> ParticipantId:
    participant = ParticipantRegistry(vault).by_code(code)
    if participant is None:
        raise ConfigError(f"no participant with code {code}")
    return participant.pseudonym


def run_forget(code: str, reason: str) -> int:
    config = _config()
    vault = _open(config)
    try:
        pseudonym = _participant(vault, code)
        if not _gateway_running(config):
            forget(vault, AuditLog(vault), pseudonym, actor="operator", reason=reason)
            print(f"{code}: data key destroyed; their records can no longer be read.")
            return 0
        requests = ForgetRequests(vault)
        requests.submit(pseudonym, "operator", reason)
    finally:
        vault.close()
    deadline = time.monotonic() + FORGET_WAIT_SECONDS
    while time.monotonic() < deadline:
        vault = _open(config)
        try:
            requests = ForgetRequests(vault)
            if not requests.is_pending(pseudonym):
                print(f"{code}: the gateway left their room and destroyed their data key.")
                return 0
            if requests.has_failed(pseudonym):
                print(
                    f"{code}: the gateway could not carry out the deletion yet (see its log: "
                    "forget_failed); it keeps trying."
                )
                return 1
        finally:
            vault.close()
        time.sleep(0.5)
    print(f"{code}: the request is queued; the gateway has not carried it out yet.")
    return 1


def run_export(code: str, out: Path, reason: str) -> int:
    config = _config()
    try:
        # A new file only: never through a symlink, never into someone else's file
        # with its own (perhaps wider) permissions.
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:
        print(f"{out} already exists; export to a new file.")
        return 1
    except OSError as exc:
        print(f"cannot create {out}: {exc.strerror}")
        return 1
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        try:
            vault = _open(config)
            try:
                pseudonym = _participant(vault, code)
                data = export(vault, pseudonym, AuditLog(vault), actor="operator", reason=reason)
            finally:
                vault.close()
        except BaseException:
            out.unlink(missing_ok=True)
            raise
        json.dump(
            {"participant_code": participant_code(pseudonym), **data},
            handle,
            ensure_ascii=False,
            indent=2,
        )
    print(f"{code}: exported to {out} (mode 600); the export is in the audit trail.")
    return 0


def run_audit_verify(published_head: str | None) -> int:
    """Verify the chain; with a head published earlier, also catch a rolled-back
    or rewritten chain."""
    config = _config()
    published = head_from_json(published_head) if published_head else None
    report = verify_audit(
        _vault_url(config),
        load_or_create_key_file(config.kek_file, create=False),
        published=published,
    )
    replaced = check_records(
        _vault_url(config), load_or_create_key_file(config.kek_file, create=False)
    )
    if replaced:
        # Pseudonyms only: the operator restores these owners' records from a backup.
        print(f"records put back from an older state, owners: {', '.join(replaced)}")
    if report.ok and not replaced:
        print(f"audit trail intact: {report.entries} entries; every record matches its digest")
        return 0
    if not report.ok:
        print(f"audit trail BROKEN at entry {report.first_bad}: {report.problem}")
    return 1


def run_keys_rotate() -> int:
    config = _config()
    if _gateway_running(config):
        # Rasa and the gateway hold the old key in memory; records sealed under it
        # during the rotation would be lost to the new one.
        print("the gateway is running: stop samtal first, then rotate the keys.")
        return 1
    old = load_or_create_key_file(config.kek_file, create=False)
    staged = config.kek_file.with_name(config.kek_file.name + ".new")
    new = load_or_create_key_file(staged, create=True)  # kept if a rotation is resumed
    report = rotate_keys(_vault_url(config), old, new)
    retired = config.kek_file.with_name(f"{config.kek_file.name}.retired-{int(time.time())}")
    shutil.move(config.kek_file, retired)
    shutil.move(staged, config.kek_file)
    print(f"re-wrapped {report.rewrapped} data keys under the new key ({report.new_kek_id}).")
    print(f"The old key is at {retired}: destroy it once no backup older than now is kept.")
    print("Restart the gateway and Rasa so they load the new key.")
    return 0
