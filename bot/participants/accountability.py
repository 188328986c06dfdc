"""What the gateway writes to the audit trail and the consent ledger.

Audit entries name staff by pseudonym and participants by their pseudonym
(stored as a tag), never by Matrix id, and carry short reasons, never content.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import tzinfo
from functools import cache
from pathlib import Path

from bot import logs
from bot.ids import pseudonym
from bot.state.flow_counts import FlowCounts
from safety.audit.log import AuditLog
from safety.consent import ConsentLedger, ConsentText
from safety.consent_terms import ENCRYPTED_TRANSPORT, ConsentTerms, consent_document
from safety.vault import Vault

_CONSENT_DECISIONS = {
    "consent_given": "given",
    "consent_withdrawn": "withdrawn",
    "consent_declined": "declined",
}


class Accountability:
    def __init__(self, vault: Vault, consent_dir: Path, zone: tzinfo, terms: ConsentTerms) -> None:
        self.audit = AuditLog(vault)
        self._vault = vault
        self.flows = FlowCounts(vault, zone)
        self.consent = ConsentLedger(vault, self.audit)
        self._consent_dir = consent_dir
        self._terms = terms
        self._staff_key = vault.derived_key("samtal:staff-pseudonym:v1")

    def staff(self, matrix_id: str) -> str:
        """A stable, non-reversible actor name for a staff member."""
        return "staff:" + pseudonym(self._staff_key, "matrix", matrix_id)[1:13]

    @cache  # noqa: B019 - one gateway, a handful of consent texts
    def consent_text(
        self, version: str, language: str, transport: str = ENCRYPTED_TRANSPORT
    ) -> ConsentText:
        """The text as the participant was shown it: filled in with this deployment's
        terms, on their messenger, so the ledger's hash is of what they agreed to."""
        folder = self._consent_dir / version
        if not (folder / f"{language}.md").exists():
            return ConsentText(version=version, language=language, text="")
        body = consent_document(folder, language, self._terms.on(transport))
        return ConsentText(version=version, language=language, text=body)

    def consent_effect(
        self,
        participant: str,
        effect: dict[str, object],
        version: str,
        language: str,
        transport: str = ENCRYPTED_TRANSPORT,
    ) -> None:
        decision = _CONSENT_DECISIONS.get(str(effect["type"]))
        if decision is None:
            return
        used = str(effect.get("version", version))
        self.consent.record(participant, decision, self.consent_text(used, language, transport))

    def flows_ran(self, names: Iterable[str]) -> None:
        """Count flows for the supervisor; a failure never touches the turn."""
        try:
            self.flows.add(names, time.time())
        except Exception as exc:
            logs.warning("flow_count_failed", error=type(exc).__name__)

    def record_with_reason(
        self, action: str, actor: str, participant: str, what: str, reason: str
    ) -> None:
        """A staff member's own words for why they read or took over: sealed under the
        participant's key, so they go with the participant's data; the audit trail,
        which outlives it, keeps only ``what`` happened."""
        self._vault.put(
            "staff_reason",
            participant,
            f"{time.time_ns()}",
            {"actor": actor, "action": action, "what": what, "reason": reason},
        )
        self.record(action, actor, participant, f"{what}, with a stated reason", required=True)

    def record(
        self, action: str, actor: str, subject: str | None, reason: str, *, required: bool = False
    ) -> None:
        """Append to the audit trail. A failure is always logged; it stops the caller
        only where the entry is the condition for going on (access to content)."""
        try:
            self.audit.append(action, actor, subject, reason)
        except Exception as exc:
            logs.warning("audit_append_failed", action=action, error=type(exc).__name__)
            if required:
                raise
