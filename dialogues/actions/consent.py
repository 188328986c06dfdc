"""Show the versioned consent text, record the answer, record a withdrawal.

The text lives in ``dialogues/consent/<version>/<language>.md``; the version
string is the folder name. Markdown heading lines are not sent. What the text
promises about pages and retention is filled in from the gateway's terms
(safety.consent_terms), so it says what this deployment does.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any, Final

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from dialogues.actions import effects, gateway
from dialogues.actions.checkin import clear_answers
from safety.consent_terms import ConsentTerms, consent_document

logger = logging.getLogger(__name__)

CONSENT_ROOT: Final = Path(__file__).resolve().parent.parent / "consent"
_VERSION = re.compile(r"^v([1-9][0-9]*)$")


def available_versions() -> list[str]:
    """Consent text versions on disk, oldest first."""
    found = [
        (int(match.group(1)), path.name)
        for path in CONSENT_ROOT.iterdir()
        if path.is_dir() and (match := _VERSION.match(path.name))
    ]
    return [name for _, name in sorted(found)]


def current_version(tracker: Tracker) -> str:
    """The gateway's consent_version if we have that text, else the newest."""
    versions = available_versions()
    if not versions:
        raise RuntimeError("no consent text found under dialogues/consent")
    # An intent the gateway triggers carries no metadata: the session's start has it.
    wanted = _from_gateway(tracker, "consent_version")
    return wanted if wanted in versions else versions[-1]


# Only when a dialogue runs without the gateway (Rasa's own story tests): the
# configuration's defaults, never shown to a participant.
_DEFAULT_TERMS = ConsentTerms(quote_message=True, retention_days=90)


def _from_gateway(tracker: Tracker, key: str) -> Any:
    value = gateway.metadata(tracker).get(key)
    return value if value is not None else gateway.session_metadata(tracker).get(key)


def current_terms(tracker: Tracker) -> ConsentTerms:
    terms = ConsentTerms.from_metadata(_from_gateway(tracker, "consent_terms"))
    if terms is None:
        logger.warning("consent terms missing from the gateway's metadata; defaults used")
        return _DEFAULT_TERMS
    return terms


def consent_paragraphs(
    version: str, language: str, terms: ConsentTerms = _DEFAULT_TERMS
) -> list[str]:
    """The consent text as messages, falling back to the default language."""
    folder = CONSENT_ROOT / version
    if not (folder / f"{language}.md").is_file():
        language = gateway.DEFAULT_LANGUAGE
    text = consent_document(folder, language, terms)
    paragraphs = []
    for block in re.split(r"\n\s*\n", text):
        lines = [line for line in block.strip().splitlines() if not line.startswith("#")]
        if lines:
            paragraphs.append("\n".join(lines))
    return paragraphs


def document_payload(text: str) -> dict[str, Any]:
    """A text the gateway sends as one message, blank lines and all."""
    return {"samtal": {"kind": "document", "text": text}}


class ActionShowConsent(Action):
    def name(self) -> str:
        return "action_show_consent"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        logger.debug("running %s", self.name())
        version = current_version(tracker)
        # One message: the consent text is one document, read as a whole, and a phone
        # pings once for it rather than once per paragraph. Rasa splits a plain text at
        # every blank line into messages of their own, so it goes as a document.
        paragraphs = consent_paragraphs(version, gateway.language(tracker), current_terms(tracker))
        dispatcher.utter_message(json_message=document_payload("\n\n".join(paragraphs)))
        return []


class ActionRecordConsent(Action):
    def name(self) -> str:
        return "action_record_consent"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        logger.debug("running %s", self.name())
        effects.emit(dispatcher, effects.consent_given(current_version(tracker)))
        return [SlotSet("consented", True)]


class ActionRecordDecline(Action):
    def name(self) -> str:
        return "action_record_decline"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        logger.debug("running %s", self.name())
        effects.emit(dispatcher, effects.consent_declined())
        return [SlotSet("consented", False)]


class ActionWithdrawConsent(Action):
    """Runs only after the participant confirmed. No penalty, no more questions."""

    def name(self) -> str:
        return "action_withdraw_consent"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        logger.debug("running %s", self.name())
        effects.emit(dispatcher, effects.consent_withdrawn())
        return [SlotSet("consented", False), *clear_answers()]
