"""The consent text as this deployment makes it true. Pure, and shared by the action
server (which shows the text) and the gateway (which records what was shown).

A consent text promises what happens to a participant's words: whether a page
quotes them, how long they are kept. Those follow the configuration, so the
text carries placeholders, ``{page_contents}`` and ``{retention}``, filled from
the gateway's terms with phrases kept beside the text (``terms.yml`` in the
version's folder). A version without placeholders is shown as written.
"""

from __future__ import annotations

import math
import string
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

PLACEHOLDERS = frozenset({"page_contents", "retention"})
TERMS_FILE = "terms.yml"
# Where the conversation runs. Matrix rooms are end-to-end encrypted, and the text
# needs no more; any other transport adds its phrase ``transport_<name>`` as a last
# paragraph, which says what that messenger can read. A transport without a phrase
# cannot be consented to.
ENCRYPTED_TRANSPORT = "matrix"
TRANSPORTS = frozenset({ENCRYPTED_TRANSPORT, "telegram"})


class ConsentTermsError(ValueError):
    """The consent text or its phrases cannot be filled in."""


@dataclass(frozen=True)
class ConsentTerms:
    """What the text must say: whether pages quote, and the retention in whole days
    (rounded up, so "at the latest N days" stays true)."""

    quote_message: bool
    retention_days: int
    transport: str = ENCRYPTED_TRANSPORT

    @classmethod
    def of(cls, quote_message: bool, retention_seconds: float) -> ConsentTerms:
        return cls(quote_message, max(1, math.ceil(retention_seconds / 86_400)))

    def on(self, transport: str) -> ConsentTerms:
        """The same terms for a conversation on ``transport``."""
        if transport not in TRANSPORTS:
            raise ConsentTermsError(f"no consent text for transport {transport!r}")
        return replace(self, transport=transport)

    def to_metadata(self) -> dict[str, Any]:
        metadata: dict[str, Any] = {
            "quote_message": self.quote_message,
            "retention_days": self.retention_days,
        }
        if self.transport != ENCRYPTED_TRANSPORT:
            metadata["transport"] = self.transport
        return metadata

    @classmethod
    def from_metadata(cls, raw: object) -> ConsentTerms | None:
        if not isinstance(raw, Mapping):
            return None
        quote, days = raw.get("quote_message"), raw.get("retention_days")
        transport = raw.get("transport", ENCRYPTED_TRANSPORT)
        if not isinstance(quote, bool) or isinstance(days, bool) or not isinstance(days, int):
            return None
        if transport not in TRANSPORTS:
            return None
        return cls(quote, days, str(transport)) if days >= 1 else None


def placeholders_in(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def load_phrases(version_dir: Path, language: str) -> dict[str, str]:
    path = version_dir / TERMS_FILE
    if not path.is_file():
        return {}
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    phrases = raw.get(language) if isinstance(raw, dict) else None
    if not isinstance(phrases, dict):
        raise ConsentTermsError(f"{path.name} has no phrases for {language!r}")
    return {str(key): str(value) for key, value in phrases.items()}


def render(template: str, phrases: Mapping[str, str], terms: ConsentTerms) -> str:
    """The text with its placeholders filled; unknown placeholders are an error, so
    a text can never promise something the deployment does not know about."""
    names = placeholders_in(template)
    unknown = names - PLACEHOLDERS
    if unknown:
        raise ConsentTermsError(f"unknown placeholders in the consent text: {sorted(unknown)}")
    if not names:
        return template
    try:
        page = phrases["page_quote" if terms.quote_message else "page_no_quote"]
        retention = (
            phrases["retention_one"]
            if terms.retention_days == 1
            else phrases["retention_many"].format(days=terms.retention_days)
        )
    except KeyError as exc:
        raise ConsentTermsError(f"a consent phrase is missing: {exc}") from exc
    return template.format(page_contents=page, retention=retention)


def consent_document(version_dir: Path, language: str, terms: ConsentTerms) -> str:
    """The whole consent text of one version and language, as a participant reads it."""
    template = (version_dir / f"{language}.md").read_text(encoding="utf-8")
    phrases = load_phrases(version_dir, language)
    text = render(template, phrases, terms)
    if terms.transport == ENCRYPTED_TRANSPORT:
        return text
    warning = phrases.get(f"transport_{terms.transport}")
    if not warning:
        raise ConsentTermsError(f"the consent text says nothing of {terms.transport}")
    return text.rstrip("\n") + "\n\n" + warning + "\n"
