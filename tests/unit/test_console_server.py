"""The supervisor console over HTTP, against a real encrypted vault on disk."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import timezone
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio

from bot.console.flows import audit_flows
from bot.console.server import SECURITY_HEADERS, console_url, create_app, start_console
from bot.console.summary import Summary, build_summary
from bot.escalation.store import EscalationStore
from bot.ids import ParticipantId, participant_code, pseudonym
from bot.state.flow_counts import FlowCounts
from safety.audit.log import AuditLog
from safety.escalation.policy import EscalationPolicy
from safety.escalation.record import Escalation, acknowledge, open_escalation
from safety.vault import Vault, load_or_create_key_file

PROJECT = Path(__file__).resolve().parents[2]
NOW = 1_800_000_000.0
POLICY = EscalationPolicy({"imminent": 300.0, "high": 3600.0, "handoff": 3600.0})
MATRIX_ID = "@console-participant-q7:example.org"
QUOTED_TEXT = "QUOTE-ZX81-only-in-the-vault"
SEALED_REASON = "REASON-KP42-sealed"
HOSTILE = "<script>alert('x')</script>"
HOSTILE_RULE = "<img src=x onerror=alert(1)>"


@dataclass
class Console:
    port: int
    secret: str
    vault_path: Path
    participant: ParticipantId

    def url(self, path: str = "/") -> str:
        return console_url(self.port, self.secret, path)


def _dialogue_project(root: Path) -> Path:
    """A tiny dialogue that fails the static audit and names a rule with markup."""
    dialogues = root / "dialogues"
    dialogues.mkdir(parents=True)
    (dialogues / "domain.yml").write_text(
        "intents: [greet]\nactions: [utter_greet]\nresponses:\n  utter_greet:\n  - text: hi\n"
    )
    (dialogues / "rules.yml").write_text(
        "rules:\n"
        f"- rule: {HOSTILE_RULE}\n  steps:\n  - intent: greet\n  - action: utter_greet\n"
        "- rule: broken rule\n  steps:\n  - intent: greet\n  - action: action_missing\n"
    )
    return root


def _fill(vault: Vault) -> ParticipantId:
    participant = pseudonym(vault.derived_key("samtal:pseudonym:v1"), "matrix", MATRIX_ID)
    code = participant_code(participant)
    store = EscalationStore(vault)

    def opened(esc_code: str, level: str, at: float) -> Escalation:
        return open_escalation(
            code=esc_code,
            participant=participant,
            participant_code=code,
            level=level,
            signals=("threat",),
            quote=f"{QUOTED_TEXT} from {MATRIX_ID}",
            now=at,
            policy=POLICY,
        )

    still_open = opened("E-OPEN01", "imminent", NOW - 600)
    answered = acknowledge(opened("E-DONE01", "high", NOW - 900), "staff:abc", NOW - 900 + 75)
    hostile = replace(opened("E-HOST01", "high", NOW - 60), code=HOSTILE, level=HOSTILE)
    for esc in (still_open, answered, hostile):
        store.save(esc)
    audit = AuditLog(vault, clock=lambda: NOW - 30)
    audit.append("escalation", "system", participant, SEALED_REASON)
    audit.append("handoff", "staff:abc", participant, SEALED_REASON)
    audit.append("deletion", "operator", "pgonegonegonegonegonegonegon", "asked")
    ran = FlowCounts(vault, timezone.utc)
    ran.add(["consent_given", "checkin_completed", "checkin_completed"], NOW - 100)
    ran.add(["paused"], NOW - 40 * 86_400)  # older than the console's window
    return participant


@pytest_asyncio.fixture
async def console(tmp_path: Path) -> AsyncIterator[Console]:
    vault_path = tmp_path / "vault.db"
    vault = Vault(vault_path, load_or_create_key_file(tmp_path / "kek", create=True))
    participant = _fill(vault)
    project = _dialogue_project(tmp_path / "project")
    secret = "s3cret-for-this-test-only"
    app = create_app(lambda: build_summary(vault, project, NOW, timezone.utc), timezone.utc, secret)
    runner, port = await start_console(app, 0)
    try:
        assert [address[0] for address in runner.addresses] == ["127.0.0.1"]
        yield Console(port, secret, vault_path, participant)
    finally:
        await runner.cleanup()
        vault.close()


async def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
    async with aiohttp.ClientSession() as session, session.get(url, headers=headers) as response:
        return response.status, dict(response.headers), await response.text()


def _assert_security_headers(headers: dict[str, str]) -> None:
    assert headers["Content-Security-Policy"] == "default-src 'none'; style-src 'unsafe-inline'"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["Cache-Control"] == "no-store"
    assert SECURITY_HEADERS.items() <= headers.items()


@pytest.mark.parametrize("path", ["/", "/api/summary", "/no-such-page"])
async def test_every_request_without_the_token_gets_401(console: Console, path: str) -> None:
    base = f"http://127.0.0.1:{console.port}{path}"
    for url, headers in (
        (base, None),
        (f"{base}?token=wrong", None),
        (f"{base}?token=s3cret-for-this-test-onl%C3%BF", None),
        (base, {"Authorization": "Bearer wrong"}),
        (base, {"Authorization": f"Basic {console.secret}"}),
    ):
        status, response_headers, body = await _get(url, headers)
        assert status == 401, url
        _assert_security_headers(response_headers)
        assert QUOTED_TEXT not in body


async def test_the_page_with_the_token_has_the_strict_headers(console: Console) -> None:
    status, headers, body = await _get(console.url())
    assert status == 200
    assert headers["Content-Type"].startswith("text/html")
    _assert_security_headers(headers)
    assert "<script" not in body.lower()


async def test_an_unknown_path_with_the_token_is_404_with_the_headers(console: Console) -> None:
    status, headers, _ = await _get(console.url("/no-such-page"))
    assert status == 404
    _assert_security_headers(headers)


async def test_values_from_the_vault_and_the_dialogue_files_are_escaped(console: Console) -> None:
    _, _, body = await _get(console.url())
    assert HOSTILE not in body
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in body
    assert HOSTILE_RULE not in body
    assert "&lt;img src=x onerror=alert(1)&gt;" in body


async def test_no_message_text_matrix_id_pseudonym_or_reason_is_shown(console: Console) -> None:
    _, _, page = await _get(console.url())
    _, _, data = await _get(
        f"http://127.0.0.1:{console.port}/api/summary",
        {"Authorization": f"Bearer {console.secret}"},
    )
    for shown in (page, data):
        assert participant_code(console.participant) in shown
        for secret in (QUOTED_TEXT, MATRIX_ID, console.participant, SEALED_REASON):
            assert secret not in shown


async def test_the_page_shows_figures_open_escalations_audit_and_flows(console: Console) -> None:
    _, _, body = await _get(console.url())
    assert "E-OPEN01" in body and "10 min 0 s" in body
    assert "the chain verifies</span>; 3 entries;" in body
    assert "P-GONEGO" in body  # a deletion names the participant, shown by code only
    assert "the static safety audit fails" in body
    assert "broken rule" in body


async def test_the_json_summary_holds_the_same_figures(console: Console) -> None:
    status, headers, _ = await _get(
        f"http://127.0.0.1:{console.port}/api/summary",
        {"Authorization": f"Bearer {console.secret}"},
    )
    assert status == 200
    _assert_security_headers(headers)
    async with (
        aiohttp.ClientSession() as session,
        session.get(console.url("/api/summary")) as response,
    ):
        data = await response.json()
    levels = {level["level"]: level for level in data["escalations"]["levels"]}
    assert (levels["high"]["count"], levels["high"]["acknowledged"]) == (1, 1)
    assert levels["high"]["p50_seconds"] == 75.0
    assert (levels["imminent"]["count"], levels["imminent"]["still_open"]) == (1, 1)
    assert [esc["code"] for esc in data["escalations"]["open"]] == ["E-OPEN01", HOSTILE]
    assert data["escalations"]["open"][0]["age_seconds"] == 600.0
    assert (data["audit"]["intact"], data["audit"]["entries"]) == (True, 3)
    assert [line["action"] for line in data["audit"]["latest"]] == [
        "deletion",
        "handoff",
        "escalation",
    ]
    flows = {flow["name"]: flow for flow in data["flows"]["flows"]}
    assert data["flows"]["passes"] is False
    assert flows["broken rule"]["violations"] == 1
    assert flows[HOSTILE_RULE]["violations"] == 0


async def test_a_tampered_audit_trail_is_shown_as_broken(console: Console) -> None:
    with sqlite3.connect(console.vault_path) as db:
        db.execute(
            "UPDATE audit_log SET body = replace(body, '\"handoff\"', '\"export\"') WHERE seq = 2"
        )
    _, _, body = await _get(console.url())
    assert "BROKEN at entry 2" in body
    assert "the chain verifies" not in body


def test_the_real_dialogue_passes_the_static_audit_and_lists_its_rules() -> None:
    flows = audit_flows(PROJECT)
    assert flows.passes and flows.checks > 0
    assert flows.rules == sum(1 for flow in flows.flows if flow.kind == "rule") > 0


async def test_the_flows_that_ran_in_the_last_thirty_days_are_counted(console: Console) -> None:
    status, _, body = await _get(console.url("/api/summary"))
    assert status == 200
    assert json.loads(body)["flows_ran"] == {"checkin_completed": 2, "consent_given": 1}
    _, _, page = await _get(console.url("/"))
    assert "Which flows ran (last 30 days)" in page
    assert "paused" not in page.split("Which flows ran")[1]


async def test_entries_about_one_person_cannot_be_linked_by_their_tag(
    console: Console, tmp_path: Path
) -> None:
    vault = Vault(console.vault_path, load_or_create_key_file(tmp_path / "kek", create=False))
    try:
        tag = vault.subject_tag(console.participant)
    finally:
        vault.close()
    _, _, page = await _get(console.url())
    _, _, data = await _get(console.url("/api/summary"))
    for shown in (page, data):
        assert tag[:6] not in shown
        assert "(a participant)" in shown


async def test_a_failing_summary_is_a_500_with_the_strict_headers() -> None:
    def broken() -> Summary:
        raise RuntimeError("the vault is locked")

    app = create_app(broken, timezone.utc, "s3cret")
    runner, port = await start_console(app, 0)
    try:
        status, headers, body = await _get(console_url(port, "s3cret"))
    finally:
        await runner.cleanup()
    assert status == 500 and "locked" not in body
    _assert_security_headers(headers)
