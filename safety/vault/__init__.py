"""Encrypted storage: envelope encryption with one data key per owner."""

from safety.vault.backend import Backend, RecordStore
from safety.vault.keys import FileKeyProvider, KeyProvider, load_or_create_key_file
from safety.vault.store import SYSTEM_OWNER, Vault
from safety.vault.url import check_records, open_store, open_vault

__all__ = [
    "SYSTEM_OWNER",
    "Backend",
    "FileKeyProvider",
    "KeyProvider",
    "RecordStore",
    "Vault",
    "check_records",
    "load_or_create_key_file",
    "open_store",
    "open_vault",
]
