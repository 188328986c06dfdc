"""The tracker store's settings, read from the ``tracker_store`` section of endpoints.yml.

```yaml
tracker_store:
  type: safety.tracker_store.EncryptedTrackerStore
  url: sqlite:////abs/path/gateway/vault.db     # or postgresql://user:pw@host/db
  key_file: /abs/path/secrets/kek.hex            # the gateway's KEK file, mode 0600
  previous_key_files: []                         # during an unfinished `samtal keys rotate`
  durability: relaxed                            # or full; see tracker_store.backend
  flush_after: 48                                # optional tuning, see JournalLimits
  compact_after: 16
```

Rasa replaces ``${VAR}`` in endpoints.yml with environment variables, so a
PostgreSQL password can stay out of the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from safety.errors import ConfigError
from safety.tracker_store.backend import DURABILITIES, Durability, open_tracker_backend
from safety.tracker_store.journal import JournalLimits, TrackerJournal
from safety.vault.keys import load_or_create_key_file
from safety.vault.store import Vault

_OPTIONS = frozenset(
    {"key_file", "previous_key_files", "durability", "flush_after", "compact_after"}
)


def _path(value: Any, name: str) -> Path:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"tracker_store.{name} must be a file path")
    path = Path(value.strip())
    if not path.is_absolute():
        raise ConfigError(f"tracker_store.{name} must be an absolute path")
    return path


def _positive(value: Any, name: str, default: int) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"tracker_store.{name} must be a positive whole number")
    return value


@dataclass(frozen=True)
class TrackerStoreSettings:
    url: str = field(repr=False)  # may hold a database password
    key_file: Path
    previous_key_files: tuple[Path, ...] = ()
    limits: JournalLimits = field(default_factory=JournalLimits)
    durability: Durability = "relaxed"

    @classmethod
    def from_endpoint(cls, url: Any, options: Mapping[str, Any]) -> TrackerStoreSettings:
        unknown = sorted(set(options) - _OPTIONS)
        if unknown:
            raise ConfigError(f"unknown tracker_store options: {', '.join(unknown)}")
        if not isinstance(url, str) or "://" not in url:
            raise ConfigError("tracker_store.url must be a vault URL (sqlite:///…, postgresql://…)")
        previous = options.get("previous_key_files") or []
        if not isinstance(previous, list):
            raise ConfigError("tracker_store.previous_key_files must be a list of paths")
        defaults = JournalLimits()
        durability = options.get("durability", "relaxed")
        if durability not in DURABILITIES:
            raise ConfigError("tracker_store.durability must be full or relaxed")
        return cls(
            url=url,
            key_file=_path(options.get("key_file"), "key_file"),
            previous_key_files=tuple(_path(p, "previous_key_files") for p in previous),
            limits=JournalLimits(
                flush_after=_positive(
                    options.get("flush_after"), "flush_after", defaults.flush_after
                ),
                compact_after=_positive(
                    options.get("compact_after"), "compact_after", defaults.compact_after
                ),
            ),
            durability=durability,
        )

    def open_journal(self) -> TrackerJournal:
        """Open the vault; refuses a key file that others can read."""
        keys = load_or_create_key_file(self.key_file, create=False)
        previous = [load_or_create_key_file(p, create=False) for p in self.previous_key_files]
        backend = open_tracker_backend(self.url, self.durability)
        return TrackerJournal(Vault(backend, keys, previous=previous), self.limits)
