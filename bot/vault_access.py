"""Opening the configured vault: SQLite by default, PostgreSQL when a URL is set."""

from __future__ import annotations

from bot.config import GatewayConfig
from safety.vault import Vault, load_or_create_key_file
from safety.vault.url import open_vault


def open_configured_vault(config: GatewayConfig, *, create_key: bool = False) -> Vault:
    keys = load_or_create_key_file(config.kek_file, create=create_key)
    if config.vault_url_secret is None:
        return Vault(config.vault_path, keys)
    return open_vault(config.vault_url_secret, keys)
