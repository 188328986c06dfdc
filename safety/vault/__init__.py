"""Encrypted storage: envelope encryption with one data key per owner."""

from safety.vault.keys import FileKeyProvider, KeyProvider, load_or_create_key_file
from safety.vault.store import Vault

__all__ = ["FileKeyProvider", "KeyProvider", "Vault", "load_or_create_key_file"]
