"""The supervisor console over HTTP, against a real encrypted vault on disk: the
login by code, sessions, CSRF, roles, headers, and what the pages show."""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from datetime import timezone
from pathlib import Path
from urllib.parse import quote

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web
from yarl import URL

from bot.console.codes import CodeBook
from bot.console.data import ConsoleData
from bot.console.flow_facts import read_facts
from bot.console.flows import audit_flows
from bot.console.login import ACCOUNT_FAILURES, CODES_PER_ACCOUNT, LoginGate, Staffing
from bot.console.web import (
    COOKIE,
    PUBLIC_PATHS,
    SECURITY_HEADERS,
    Console,
    ConsoleHooks,
    create_app,
)
from bot.escalation.store import EscalationStore
from bot.ids import ParticipantId, participant_code
from bot.monitoring.loopback_http import SHUTDOWN_SECONDS, serve
from bot.participants.accountability import Accountability
from bot.state.checkin_answers import CheckinAnswers
from bot.state.flow_counts import FlowCounts
from bot.state.participants import ParticipantRegistry
from safety.audit import head_to_json
from safety.audit.log import AuditLog
from safety.consent_terms import ConsentTerms
from safety.escalation.policy import EscalationPolicy
from safety.escalation.record import Escalation, acknowledge, open_escalation
from safety.vault import Vault, load_or_create_key_file

PROJECT = Path(__file__).resolve().parents[2]
NOW = 1_800_000_000.0
POLICY = EscalationPolicy({"imminent": 300.0, "high": 3600.0, "handoff": 3600.0})
SUPERVISOR = "@handledare:example.org"
MEDIATOR = "@mediator:example.org"
OTHER_MEDIATOR = "@jour:example.org"
MATRIX_ID = "@console-participant-q7:example.org"
OTHERS_ID = "@someone-else-k2:example.org"
QUOTED_TEXT = "QUOTE-ZX81-only-in-the-vault"
ANSWER_TEXT = "ANSWER-PL55-said-in-a-checkin"
NOTE_TEXT = "NOTE-QW19-written-by-staff"
SEALED_REASON = "REASON-KP42-sealed"
HOSTILE = "<script>alert('x')</script>"
HOSTILE_RULE = "<img src=x onerror=alert(1)>"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
CODE = re.compile(r"code: (\d{4}) (\d{4})")


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


@dataclass
class Filled:
    mine: ParticipantId
    others: ParticipantId


def _fill(vault: Vault) -> Filled:
    registry = ParticipantRegistry(vault)
    mine = registry.enroll(MATRIX_ID, "sv", MEDIATOR).pseudonym
    others = registry.enroll(OTHERS_ID, "sv", OTHER_MEDIATOR).pseudonym
    store = EscalationStore(vault)

    def opened(esc_code: str, level: str, at: float, who: ParticipantId = mine) -> Escalation:
        return open_escalation(
            code=esc_code,
            participant=who,
            participant_code=participant_code(who),
            level=level,
            signals=("threat",),
            quote=f"{QUOTED_TEXT} from {MATRIX_ID}",
            now=at,
            policy=POLICY,
        )

    still_open = opened("E-OPEN01", "imminent", NOW - 600)
    answered = acknowledge(opened("E-DONE01", "high", NOW - 900), "staff:abc", NOW - 900 + 75)
    hostile = replace(opened("E-HOST01", "high", NOW - 60), code=HOSTILE, level=HOSTILE)
    theirs = opened("E-THEIR1", "high", NOW - 120, others)
    for esc in (still_open, answered, hostile, theirs):
        store.save(esc)
    audit = AuditLog(vault, clock=lambda: NOW - 30)
    audit.append("escalation", "system", mine, SEALED_REASON)
    audit.append("handoff", "staff:abc", mine, SEALED_REASON)
    audit.append("deletion", "operator", "pgonegonegonegonegonegonegon", "asked")
    ran = FlowCounts(vault, timezone.utc)
    ran.add(["consent_given", "checkin_completed", "checkin_completed"], NOW - 100)
    ran.add(["paused"], NOW - 40 * 86_400)  # older than the console's window
    CheckinAnswers(vault).answer(mine, "mood", ANSWER_TEXT, NOW - 50, turn="$t1")
    store.add_note(still_open, "@mediator:example.org", NOTE_TEXT)
    return Filled(mine, others)


@dataclass
class Setup:
    port: int
    vault_path: Path
    filled: Filled
    vault: Vault
    sent: list[tuple[str, str]] = field(default_factory=list)
    clock: list[float] = field(default_factory=lambda: [NOW])
    app: web.Application | None = None
    # Set to make the record of a mediator's look at the summaries fail.
    refuse_summaries: bool = False
    # Set to make the record of an export fail.
    refuse_exports: bool = False
    project: Path | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def last_code(self, account: str) -> str:
        for person, text in reversed(self.sent):
            if person == account and (found := CODE.search(text)):
                return found.group(1) + found.group(2)
        raise AssertionError(f"no code sent to {account}")


@pytest_asyncio.fixture
async def setup(tmp_path: Path) -> AsyncIterator[Setup]:
    vault_path = tmp_path / "vault.db"
    vault = Vault(vault_path, load_or_create_key_file(tmp_path / "kek", create=True))
    filled = _fill(vault)
    project = _dialogue_project(tmp_path / "project")
    accountability = Accountability(
        vault, PROJECT / "dialogues" / "consent", timezone.utc, ConsentTerms.of(True, 86_400.0)
    )
    state = Setup(0, vault_path, filled, vault, project=project)

    async def send(account: str, text: str) -> None:
        state.sent.append((account, text))

    def record_session(account: str, what: str) -> None:
        accountability.record("console_session", accountability.staff(account), None, what)

    def record_access(account: str, participant: str, reason: str) -> None:
        accountability.record_with_reason(
            "content_access", accountability.staff(account), participant, "console", reason
        )

    def record_export(account: str, what: str) -> None:
        if state.refuse_exports:
            raise OSError("the audit trail cannot be written")
        accountability.record("export", accountability.staff(account), None, what, required=True)

    def record_summaries(account: str, participant: str) -> None:
        if state.refuse_summaries:
            raise OSError("the audit trail cannot be written")
        accountability.record(
            "content_access",
            accountability.staff(account),
            participant,
            "console: summaries",
            required=True,
        )

    console = Console(
        LoginGate(
            Staffing(frozenset({SUPERVISOR}), frozenset({MEDIATOR, OTHER_MEDIATOR})), CodeBook()
        ),
        ConsoleData(vault, project, timezone.utc),
        ConsoleHooks(
            send,
            record_session,
            record_access,
            record_export,
            record_summaries,
            clock=lambda: state.clock[0],
        ),
        timezone.utc,
    )
    state.app = create_app(console)
    runner, port = await serve(state.app, "127.0.0.1", 0)
    state.port = port
    try:
        yield state
    finally:
        await runner.cleanup()
        vault.close()


class Browser:
    """A client that keeps the session cookie by hand (aiohttp's own jar keeps no
    cookie for an IP address) and reads the CSRF token from each page."""

    def __init__(self, setup: Setup) -> None:
        self.setup = setup
        self.cookie: str | None = None
        self.csrf: str | None = None
        self.set_cookie_headers: list[str] = []

    async def request(
        self, method: str, path: str, data: dict[str, str] | None = None, **headers: str
    ) -> tuple[int, dict[str, str], str]:
        if self.cookie:
            headers["Cookie"] = f"{COOKIE}={self.cookie}"
        async with (
            aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http,
            http.request(
                method,
                self.setup.base + path,
                data=data,
                headers=headers,
                allow_redirects=False,
            ) as response,
        ):
            body = await response.text()
            for header in response.headers.getall("Set-Cookie", []):
                self.set_cookie_headers.append(header)
                value = header.split(";", 1)[0].split("=", 1)[1]
                self.cookie = value or None
            if found := CSRF.search(body):
                self.csrf = found.group(1)
            return response.status, dict(response.headers), body

    async def get(self, path: str) -> tuple[int, dict[str, str], str]:
        return await self.request("GET", path)

    async def post(self, path: str, data: dict[str, str]) -> tuple[int, dict[str, str], str]:
        return await self.request("POST", path, {"csrf": self.csrf or "", **data})

    async def log_in(self, account: str) -> None:
        await self.get("/login")
        status, headers, _ = await self.post("/login", {"account": account})
        assert (status, headers["Location"]) == (303, "/login/code")
        await self.get("/login/code")
        code = self.setup.last_code(account)
        status, headers, _ = await self.post("/login/code", {"code": code})
        assert (status, headers["Location"]) == (303, "/")
        await self.get("/")  # the signed-in session's own CSRF token


def _assert_security_headers(headers: dict[str, str]) -> None:
    assert "unsafe-inline" not in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["Referrer-Policy"] == "no-referrer"
    assert SECURITY_HEADERS.items() <= headers.items()
    # No software or version for an attacker to look up.
    assert not re.search(r"python|aiohttp|\d", headers.get("Server", ""), re.IGNORECASE)


async def _signed_in(setup: Setup, account: str = SUPERVISOR) -> Browser:
    browser = Browser(setup)
    await browser.log_in(account)
    return browser


def _audit_actions(setup: Setup) -> list[tuple[str, str]]:
    return [(e.action, e.reason) for e in AuditLog(setup.vault).entries()]


# -- reaching pages -------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/", "/audit", "/flows", "/escalations/E-OPEN01", "/participants", "/nope", "//x"]
)
async def test_no_page_is_reachable_without_a_session(setup: Setup, path: str) -> None:
    status, headers, body = await Browser(setup).get(path)
    assert (status, headers["Location"]) == (303, "/login")
    _assert_security_headers(headers)
    assert "E-OPEN01" not in body


@pytest.mark.parametrize("path", ["/static%2Fconsole.css", "/static%2fconsole.css"])
async def test_a_public_path_spelled_with_escapes_is_not_public(setup: Setup, path: str) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.get(URL(setup.base + path, encoded=True), allow_redirects=False) as response,
    ):
        assert (response.status, response.headers.get("Location")) == (303, "/login")
        _assert_security_headers(dict(response.headers))


async def test_a_forged_cookie_reaches_nothing(setup: Setup) -> None:
    browser = Browser(setup)
    browser.cookie = "forged-session-id"
    status, headers, _ = await browser.get("/")
    assert (status, headers["Location"]) == (303, "/login")


async def test_the_login_form_and_the_stylesheet_are_public_and_local(setup: Setup) -> None:
    browser = Browser(setup)
    status, headers, body = await browser.get("/login")
    assert status == 200
    _assert_security_headers(headers)
    assert "<script" not in body.lower() and "http" not in body.split("<body>")[1]
    assert '<link rel="stylesheet" href="/static/console.css">' in body
    status, headers, _css = await browser.get("/static/console.css")
    assert status == 200 and headers["Content-Type"].startswith("text/css")
    _assert_security_headers(headers)


async def test_the_session_cookie_is_secure_httponly_and_strict(setup: Setup) -> None:
    browser = Browser(setup)
    await browser.get("/login")
    cookie = browser.set_cookie_headers[0].lower()
    assert cookie.startswith(COOKIE.lower() + "=")
    for flag in ("secure", "httponly", "samesite=strict", "path=/"):
        assert flag in cookie
    assert "domain=" not in cookie and "max-age" not in cookie and "expires" not in cookie


async def test_a_request_naming_another_host_is_refused(setup: Setup) -> None:
    status, headers, _ = await Browser(setup).request("GET", "/login", Host="evil.example:80")
    assert status == 404
    _assert_security_headers(headers)


# -- logging in -----------------------------------------------------------------


async def test_a_supervisor_logs_in_with_the_code_sent_to_their_desk(setup: Setup) -> None:
    browser = Browser(setup)
    await browser.get("/login")
    anonymous_cookie = browser.cookie
    await browser.post("/login", {"account": f"  {SUPERVISOR} "})
    assert [person for person, _ in setup.sent] == [SUPERVISOR]
    await browser.get("/login/code")
    await browser.post("/login/code", {"code": setup.last_code(SUPERVISOR)})
    assert browser.cookie != anonymous_cookie  # a fresh id after the login
    status, headers, body = await browser.get("/")
    assert status == 200 and "E-OPEN01" in body
    _assert_security_headers(headers)
    assert ("console_session", "login") in _audit_actions(setup)


async def test_an_unknown_account_looks_the_same_and_sends_nothing(setup: Setup) -> None:
    answers = []
    for account in (SUPERVISOR, "@nobody:example.org"):
        browser = Browser(setup)
        await browser.get("/login")
        status, headers, _ = await browser.post("/login", {"account": account})
        _, _, page = await browser.get("/login/code")
        page = CSRF.sub("", page)
        answers.append((status, headers["Location"], page))
    assert answers[0] == answers[1]
    assert [person for person, _ in setup.sent] == [SUPERVISOR]


async def test_a_code_is_good_for_the_browser_that_asked_and_only_once(setup: Setup) -> None:
    asking = Browser(setup)
    await asking.get("/login")
    await asking.post("/login", {"account": SUPERVISOR})
    code = setup.last_code(SUPERVISOR)
    # Another browser that never asked has no account to try the code on.
    other = Browser(setup)
    await other.get("/login")
    status, headers, _ = await other.post("/login/code", {"code": code})
    assert (status, headers["Location"]) == (303, "/login")
    await asking.get("/login/code")
    status, _, _ = await asking.post("/login/code", {"code": code})
    assert status == 303
    again = Browser(setup)
    await again.get("/login")
    await again.post("/login", {"account": SUPERVISOR})
    await again.get("/login/code")
    status, _, _ = await again.post("/login/code", {"code": code})
    assert status == 401


async def test_a_code_does_not_work_in_a_browser_that_did_not_ask_for_it(setup: Setup) -> None:
    asking = Browser(setup)
    await asking.get("/login")
    for _ in range(CODES_PER_ACCOUNT):
        await asking.post("/login", {"account": SUPERVISOR})
    code = setup.last_code(SUPERVISOR)
    sent = len(setup.sent)
    # A second browser names the same account once no more codes are sent to that
    # desk, so the code the first browser asked for is still the one pending.
    other = Browser(setup)
    await other.get("/login")
    await other.post("/login", {"account": SUPERVISOR})
    assert len(setup.sent) == sent
    await other.get("/login/code")
    status, _, _ = await other.post("/login/code", {"code": code})
    assert status == 401
    await asking.get("/login/code")
    status, headers, _ = await asking.post("/login/code", {"code": code})
    assert (status, headers["Location"]) == (303, "/")


async def test_wrong_codes_lock_the_account(setup: Setup) -> None:
    browser = Browser(setup)
    await browser.get("/login")
    await browser.post("/login", {"account": SUPERVISOR})
    right = setup.last_code(SUPERVISOR)
    wrong = f"{(int(right) + 1) % 10**8:08d}"
    statuses = [(await browser.post("/login/code", {"code": wrong}))[0] for _ in range(5)]
    assert statuses == [401] * (ACCOUNT_FAILURES - 1) + [429]
    status, _, body = await browser.post("/login/code", {"code": right})
    assert status == 429 and "Too many wrong codes" in body
    assert "console_session" not in {action for action, _ in _audit_actions(setup)}


async def test_a_session_ends_after_idling_a_quarter_of_an_hour(setup: Setup) -> None:
    browser = await _signed_in(setup)
    setup.clock[0] += 14 * 60
    assert (await browser.get("/"))[0] == 200
    setup.clock[0] += 16 * 60
    status, headers, _ = await browser.get("/")
    assert (status, headers["Location"]) == (303, "/login")


async def test_logging_out_ends_the_session_and_is_audited(setup: Setup) -> None:
    browser = await _signed_in(setup)
    cookie = browser.cookie
    status, headers, _ = await browser.post("/logout", {})
    assert (status, headers["Location"]) == (303, "/login")
    browser.cookie = cookie
    status, headers, _ = await browser.get("/")
    assert (status, headers["Location"]) == (303, "/login")
    assert ("console_session", "logout") in _audit_actions(setup)


# -- CSRF -----------------------------------------------------------------------


@pytest.mark.parametrize("token", [None, "", "not-the-token"])
async def test_a_post_without_the_csrf_token_is_refused(setup: Setup, token: str | None) -> None:
    browser = await _signed_in(setup)
    data = {} if token is None else {"csrf": token}
    for path, fields in (
        ("/logout", {}),
        ("/participant/open", {"code": participant_code(setup.filled.mine), "reason": "x" * 20}),
    ):
        status, headers, _ = await browser.request("POST", path, {**data, **fields})
        assert status == 403
        _assert_security_headers(headers)
    assert (await browser.get("/"))[0] == 200  # still signed in: nothing happened
    assert "content_access" not in {action for action, _ in _audit_actions(setup)}


async def test_the_login_form_needs_its_csrf_token_too(setup: Setup) -> None:
    browser = Browser(setup)
    await browser.get("/login")
    status, _, _ = await browser.request("POST", "/login", {"account": SUPERVISOR})
    assert status == 403
    assert setup.sent == []


@pytest.mark.parametrize("origin", ["http://evil.example", "http://[", "file://", "x"])
async def test_a_post_from_another_origin_is_refused(setup: Setup, origin: str) -> None:
    browser = await _signed_in(setup)
    status, headers, _ = await browser.request(
        "POST", "/logout", {"csrf": browser.csrf or ""}, Origin=origin
    )
    assert status == 403
    _assert_security_headers(headers)
    assert (await browser.get("/"))[0] == 200  # not logged out


# -- what the pages show ------------------------------------------------------------


async def test_values_from_the_vault_and_the_dialogue_files_are_escaped(setup: Setup) -> None:
    browser = await _signed_in(setup)
    _, _, page = await browser.get("/")
    _, _, flows = await browser.get("/flows")
    assert HOSTILE not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert HOSTILE_RULE not in flows
    assert "&lt;img src=x onerror=alert(1)&gt;" in flows


async def test_no_message_text_matrix_id_pseudonym_or_reason_is_shown(setup: Setup) -> None:
    browser = await _signed_in(setup)
    for path in ("/", "/audit", "/flows", "/escalations/E-OPEN01"):
        status, _, shown = await browser.get(path)
        assert status == 200
        for secret in (
            QUOTED_TEXT,
            MATRIX_ID,
            setup.filled.mine,
            SEALED_REASON,
            ANSWER_TEXT,
            NOTE_TEXT,
        ):
            assert secret not in shown, path
        assert SUPERVISOR not in shown


async def test_the_pages_show_figures_open_escalations_audit_and_flows(setup: Setup) -> None:
    browser = await _signed_in(setup)
    _, _, page = await browser.get("/")
    assert "E-OPEN01" in page and "10 min 0 s" in page and "E-THEIR1" in page
    # E-OPEN01 is imminent, paged to both at once and due after five minutes.
    assert '<span class="bad">overdue by 5 min 0 s</span></td><td>assigned, on-call</td>' in page
    _, _, audit = await browser.get("/audit")
    assert "the chain verifies</span>; 4 entries;" in audit  # three and the login
    assert "P-GONEGO" in audit
    _, _, flows = await browser.get("/flows")
    assert "the static safety audit fails" in flows and "broken rule" in flows
    assert "Which flows ran (last 30 days)" in flows
    assert "paused" not in flows.split("Which flows ran")[1]


async def test_an_escalation_has_its_timeline(setup: Setup) -> None:
    browser = await _signed_in(setup)
    status, _, page = await browser.get("/escalations/E-DONE01")
    assert status == 200
    assert "created" in page and "acknowledged" in page and "75 s" in page


async def test_a_tampered_audit_trail_is_shown_as_broken(setup: Setup) -> None:
    browser = await _signed_in(setup)
    with sqlite3.connect(setup.vault_path) as db:
        db.execute(
            "UPDATE audit_log SET body = replace(body, '\"handoff\"', '\"export\"') WHERE seq = 2"
        )
    _, _, body = await browser.get("/audit")
    assert "BROKEN at entry 2" in body
    assert "the chain verifies" not in body


async def test_entries_about_one_person_cannot_be_linked_by_their_tag(setup: Setup) -> None:
    browser = await _signed_in(setup)
    tag = setup.vault.subject_tag(setup.filled.mine)
    _, _, page = await browser.get("/audit")
    assert tag[:6] not in page
    assert "(a participant)" in page


def test_the_real_dialogue_passes_the_static_audit_and_lists_its_rules() -> None:
    flows = audit_flows(PROJECT)
    assert flows.passes and flows.checks > 0
    assert flows.rules == sum(1 for flow in flows.flows if flow.kind == "rule") > 0


# -- roles ----------------------------------------------------------------------------


async def test_a_mediator_sees_only_their_own_participants(setup: Setup) -> None:
    browser = await _signed_in(setup, MEDIATOR)
    _, _, page = await browser.get("/")
    assert "E-OPEN01" in page
    assert "E-THEIR1" not in page and participant_code(setup.filled.others) not in page
    status, _, _ = await browser.get("/escalations/E-THEIR1")
    assert status == 404
    theirs = participant_code(setup.filled.others)
    unknown = await browser.get("/participant?code=P-ZZZZZZ")
    other = await browser.get(f"/participant?code={theirs}")
    assert other[0] == unknown[0] == 404
    assert CSRF.sub("", other[2]) == CSRF.sub("", unknown[2])


async def test_a_mediator_has_no_audit_trail_page(setup: Setup) -> None:
    browser = await _signed_in(setup, MEDIATOR)
    status, _, body = await browser.get("/audit")
    assert status == 404 and "chain" not in body


# -- justified access to content ----------------------------------------------------


async def test_answers_open_only_with_a_reason_which_is_audited_and_told(setup: Setup) -> None:
    browser = await _signed_in(setup)
    code = participant_code(setup.filled.mine)
    status, headers, _ = await browser.get(f"/participant/answers?code={code}")
    assert (status, headers["Location"]) == (303, f"/participant?code={code}")
    _, _, form = await browser.get(f"/participant?code={code}")
    assert ANSWER_TEXT not in form
    status, _, _ = await browser.post("/participant/open", {"code": code, "reason": "short"})
    assert status == 400
    reason = "follow-up after the page about a threat"
    status, headers, _ = await browser.post("/participant/open", {"code": code, "reason": reason})
    assert (status, headers["Location"]) == (303, f"/participant/answers?code={code}")
    status, _, answers = await browser.get(headers["Location"])
    assert status == 200 and ANSWER_TEXT in answers
    assert QUOTED_TEXT in answers and NOTE_TEXT in answers
    assert "@mediator:example.org" not in answers  # a note shows its words, not its author
    # Another participant's quote is not among them.
    assert answers.count(QUOTED_TEXT) == 3  # E-OPEN01, E-DONE01 and the hostile one
    assert ("content_access", "console, with a stated reason") in _audit_actions(setup)
    assert reason not in str(_audit_actions(setup))  # the reason is sealed, not in the trail
    told = [text for person, text in setup.sent if person == MEDIATOR]
    assert len(told) == 1 and code in told[0] and reason not in told[0]
    # Ten minutes later it is closed again.
    setup.clock[0] += 601
    status, _, _ = await browser.get(f"/participant/answers?code={code}")
    assert status == 303


async def test_the_assigned_mediator_sees_summaries_without_a_reason_each_audited(
    setup: Setup,
) -> None:
    CheckinAnswers(setup.vault).finish(setup.filled.mine, NOW - 40, completed=False)
    code = participant_code(setup.filled.mine)
    browser = await _signed_in(setup, MEDIATOR)
    for showing in (1, 2):
        status, _, page = await browser.get(f"/participant?code={code}")
        assert status == 200 and ANSWER_TEXT in page and "left part-way" in page
        shown = [a for a in _audit_actions(setup) if a == ("content_access", "console: summaries")]
        assert len(shown) == showing  # one content-free entry per showing
    # Quotes and notes still need a reason, and nobody is told about the mediator's own look.
    assert QUOTED_TEXT not in page and NOTE_TEXT not in page
    assert 'action="/participant/open"' in page and "their mediator is told" not in page
    assert not [text for person, text in setup.sent if person == MEDIATOR and code in text]


async def test_a_supervisor_still_needs_a_reason_for_the_summaries(setup: Setup) -> None:
    CheckinAnswers(setup.vault).finish(setup.filled.mine, NOW - 40, completed=False)
    browser = await _signed_in(setup)
    _, _, page = await browser.get(f"/participant?code={participant_code(setup.filled.mine)}")
    assert ANSWER_TEXT not in page and "summaries" not in page
    assert "their mediator is told in their desk" in page
    assert ("content_access", "console: summaries") not in _audit_actions(setup)


async def test_no_summary_is_shown_when_its_showing_cannot_be_recorded(setup: Setup) -> None:
    CheckinAnswers(setup.vault).finish(setup.filled.mine, NOW - 40, completed=False)
    browser = await _signed_in(setup, MEDIATOR)
    setup.refuse_summaries = True
    status, headers, body = await browser.get(
        f"/participant?code={participant_code(setup.filled.mine)}"
    )
    assert status == 500 and ANSWER_TEXT not in body
    _assert_security_headers(headers)


async def test_content_stays_closed_when_the_access_cannot_be_recorded(setup: Setup) -> None:
    browser = await _signed_in(setup)
    code = participant_code(setup.filled.mine)
    setup.vault.close()  # every write now fails
    status, headers, body = await browser.post(
        "/participant/open", {"code": code, "reason": "a reason long enough"}
    )
    assert status == 500 and ANSWER_TEXT not in body
    _assert_security_headers(headers)


async def test_a_failing_page_is_a_500_with_the_strict_headers(setup: Setup) -> None:
    browser = await _signed_in(setup)
    setup.vault.close()
    status, headers, body = await browser.get("/")
    assert status == 500 and "Error" in body
    _assert_security_headers(headers)


async def test_the_flows_page_shows_a_picture_of_each_dialogue_file(setup: Setup) -> None:
    browser = await _signed_in(setup)
    _, _, page = await browser.get("/flows")
    assert '<img src="/flows/rules.svg"' in page
    # The tiny dialogue's broken rule is in rules.yml: its picture says so.
    caption = page.split('id="flow-rules"')[1].split("</figure>")[0]
    assert "1 safety audit violations" in caption
    status, headers, svg = await browser.get("/flows/rules.svg")
    assert status == 200 and headers["Content-Type"].startswith("image/svg+xml")
    _assert_security_headers(headers)
    assert "utter_greet" in svg and "<script" not in svg
    assert HOSTILE_RULE not in svg  # rule names are not drawn, and markup is escaped anyway
    assert (await browser.get("/flows/nope.svg"))[0] == 404
    assert (await Browser(setup).get("/flows/rules.svg"))[0] == 303


async def test_beside_each_picture_are_its_figures_or_a_word_that_there_are_none(
    setup: Setup,
) -> None:
    assert setup.project is not None
    (setup.project / "dialogues" / "checkin.yml").write_text(
        "rules:\n- rule: a check-in\n  steps:\n  - intent: greet\n  - action: utter_greet\n"
    )
    answers = CheckinAnswers(setup.vault)
    answers.finish(setup.filled.mine, NOW - 45, completed=False)
    for i in range(6):
        answers.answer(setup.filled.others, "mood", 3, NOW - 900 + i * 10, turn=f"$c{i}")
        answers.finish(setup.filled.others, NOW - 895 + i * 10, completed=True)
    browser = await _signed_in(setup, MEDIATOR)
    _, _, page = await browser.get("/flows")
    checkin = page.split('id="flow-checkin"')[1].split("</section>")[0]
    # Seven check-ins, six completed, one left part-way: every participant together.
    assert '<td>started</td><td class="n">7</td>' in checkin
    assert '<td>completed</td><td class="n">6</td><td class="n">86 %</td>' not in checkin
    assert '<td>completed</td><td class="n">6</td><td class="n">–</td>' in checkin
    assert '<td>left part-way or missed</td><td class="n">&lt; 5</td>' in checkin
    rules = page.split('id="flow-rules"')[1].split("</section>")[0]
    assert "No figures" in rules
    for secret in (ANSWER_TEXT, MATRIX_ID, OTHERS_ID, str(setup.filled.mine), QUOTED_TEXT):
        assert secret not in page


def test_the_facts_behind_the_figures_hold_no_identity_or_text(tmp_path: Path) -> None:
    vault = Vault(tmp_path / "v.db", load_or_create_key_file(tmp_path / "kek", create=True))
    try:
        filled = _fill(vault)
        facts = read_facts(vault)
        assert len(facts.checkins) == 1 and len(facts.escalations) == 4
        said = repr(facts)
        for secret in (ANSWER_TEXT, QUOTED_TEXT, NOTE_TEXT, MATRIX_ID, str(filled.mine)):
            assert secret not in said
    finally:
        vault.close()


async def test_response_times_per_week_and_their_export_hold_no_identity(setup: Setup) -> None:
    browser = await _signed_in(setup)
    _, _, page = await browser.get("/")
    assert "Response times per week" in page and "2027-W02" in page
    # imminent, high, and the made-up level whose name is markup (escaped)
    assert page.count('<svg xmlns="http://www.w3.org/2000/svg"') == 3
    status, headers, body = await browser.get("/export/escalation-times.csv")
    assert status == 200 and headers["Content-Type"].startswith("text/csv")
    assert "attachment" in headers["Content-Disposition"]
    _assert_security_headers(headers)
    lines = body.splitlines()
    assert lines[0] == "week,level,answered,response_seconds,reescalations,open"
    assert len(lines) == 1 + 4
    assert "2027-W02,high,yes,75,0,no" in lines
    for secret in ("E-OPEN01", "E-DONE01", participant_code(setup.filled.mine), MATRIX_ID):
        assert secret not in body
    assert ("export", "console: escalation times (CSV)") in _audit_actions(setup)


async def test_the_flow_audit_report_is_one_inert_file_without_identity(setup: Setup) -> None:
    browser = await _signed_in(setup)
    _, _, page = await browser.get("/flows")
    assert 'href="/export/flow-audit.html"' in page
    status, headers, body = await browser.get("/export/flow-audit.html")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert "attachment" in headers["Content-Disposition"]
    _assert_security_headers(headers)
    # The verdicts and the figures, for the tiny dialogue that fails the audit.
    assert "the static safety audit fails: 16 violations" in body
    assert "1 safety audit violations in this file" in body and "No figures" in body
    # Self-contained and inert: no script, nothing to load, no link out.
    assert not re.search(r"<(script|link|img|iframe|object|embed)\b", body, re.IGNORECASE)
    assert not re.search(r"<[a-z][^>]*\s(src|href)=", body, re.IGNORECASE)
    assert "url(" not in body and "@import" not in body
    assert HOSTILE_RULE not in body
    for secret in (
        "E-OPEN01",
        participant_code(setup.filled.mine),
        str(setup.filled.mine),
        MATRIX_ID,
        SUPERVISOR,
        ANSWER_TEXT,
        QUOTED_TEXT,
        NOTE_TEXT,
    ):
        assert secret not in body
    assert _audit_actions(setup).count(("export", "console: flow-audit report (HTML)")) == 1
    await browser.get("/export/flow-audit.html")
    assert _audit_actions(setup).count(("export", "console: flow-audit report (HTML)")) == 2


async def test_no_report_is_made_when_its_download_cannot_be_recorded(setup: Setup) -> None:
    browser = await _signed_in(setup)
    setup.refuse_exports = True
    status, headers, body = await browser.get("/export/flow-audit.html")
    assert status == 500 and "flow-audit report" not in body
    assert "attachment" not in headers.get("Content-Disposition", "")


async def test_a_mediator_cannot_export(setup: Setup) -> None:
    browser = await _signed_in(setup, MEDIATOR)
    _, _, page = await browser.get("/")
    assert "escalation-times.csv" not in page
    assert (await browser.get("/export/escalation-times.csv"))[0] == 404
    _, _, flows = await browser.get("/flows")
    assert "flow-audit.html" not in flows
    assert (await browser.get("/export/flow-audit.html"))[0] == 404
    assert "export" not in {action for action, _ in _audit_actions(setup)}


async def test_the_audit_trail_can_be_filtered_and_paged(setup: Setup) -> None:
    audit = AuditLog(setup.vault, clock=lambda: NOW - 20)
    for n in range(60):
        audit.append("programme_change", "staff:pagetest", None, f"change {n}")
    browser = await _signed_in(setup)
    _, _, page = await browser.get("/audit?action=deletion")
    assert "1 matching entries" in page and "P-GONEGO" in page
    assert "programme_change</td>" not in page
    assert '<option value="deletion" selected>' in page
    _, _, page = await browser.get("/audit?actor=staff:pagetest")
    assert "50 matching entries" in page and "handoff</td>" not in page
    older = re.search(r'href="/audit\?([^"]+)">Older entries', page)
    assert older is not None
    _, _, rest = await browser.get("/audit?" + older.group(1).replace("&amp;", "&"))
    assert "10 matching entries" in rest and "Older entries" not in rest
    # The chain is verified whole, whatever the filter shows.
    assert "the chain verifies</span>; 64 entries;" in rest


@pytest.mark.parametrize(
    "query", ["action=nope", "action=%ff", "actor=" + "x" * 65, "before=-1", "before=1e9"]
)
async def test_a_malformed_audit_filter_is_no_filter(setup: Setup, query: str) -> None:
    browser = await _signed_in(setup)
    status, _, page = await browser.get(f"/audit?{query}")
    assert status == 200 and "4 entries, newest first" in page


async def test_the_participants_page_lists_the_codes_the_viewer_may_open(setup: Setup) -> None:
    mine = participant_code(setup.filled.mine)
    theirs = participant_code(setup.filled.others)
    supervisor = await _signed_in(setup)
    _, _, everyone = await supervisor.get("/participants")
    assert f'href="/participant?code={mine}"' in everyone and theirs in everyone
    mediator = await _signed_in(setup, MEDIATOR)
    _, _, own = await mediator.get("/participants")
    assert mine in own and theirs not in own
    assert MATRIX_ID not in everyone + own and OTHERS_ID not in everyone + own


async def test_the_chain_is_checked_against_a_head_posted_to_the_team_room(
    setup: Setup,
) -> None:
    browser = await _signed_in(setup)
    head = AuditLog(setup.vault).head()
    assert head is not None
    posted = f"🧾 audit head {head_to_json(head)}"
    _, _, page = await browser.get(f"/audit?head={quote(posted)}")
    assert f"holds the published head of entry {head.seq}" in page
    # A head the chain never had: rewritten or rolled back.
    forged = replace(head, mac="0" * len(head.mac))
    _, _, page = await browser.get(f"/audit?head={quote(head_to_json(forged))}")
    assert "does not hold the published head" in page
    assert "the chain verifies" not in page
    for garbage in ("not a head", "{", '{"seq": "x"}', "{" + "x" * 2100):
        status, _, page = await browser.get(f"/audit?head={quote(garbage)}")
        assert status == 200 and "That is not an audit head" in page


async def test_every_route_but_the_public_ones_needs_a_session(setup: Setup) -> None:
    # Read from the router itself, so a route added later is held to it too.
    assert setup.app is not None
    checked = 0
    for route in setup.app.router.routes():
        info = route.resource.get_info() if route.resource else {}
        path = str(info.get("path") or info.get("formatter") or "")
        path = re.sub(r"\{[^}]+\}", "X", path)
        if path in PUBLIC_PATHS or route.method == "HEAD":
            continue
        browser = Browser(setup)
        status, headers, _ = await browser.request(
            "GET" if route.method in ("GET", "*") else route.method, path or "/"
        )
        if route.method == "POST":
            assert status == 403, path
        else:
            assert (status, headers.get("Location")) == (303, "/login"), path
        checked += 1
    assert checked >= 12


# -- stopping -------------------------------------------------------------------------


async def test_a_stalled_request_holds_up_the_gateways_stop_only_briefly() -> None:
    async def reads_the_form(request: web.Request) -> web.Response:
        await request.post()
        return web.Response(text="read")

    app = web.Application()
    app.router.add_post("/login", reads_the_form)
    runner, port = await serve(app, "127.0.0.1", 0)
    _, writer = await asyncio.open_connection("127.0.0.1", port)
    # A body announced and never sent: the handler waits on it.
    writer.write(
        b"POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ncsrf="
    )
    await writer.drain()
    await asyncio.sleep(0.2)
    started = time.monotonic()
    await asyncio.wait_for(runner.cleanup(), timeout=SHUTDOWN_SECONDS + 5)
    assert time.monotonic() - started < SHUTDOWN_SECONDS + 2
    writer.close()


async def test_the_log_holds_no_matrix_id_code_address_or_reason(
    setup: Setup, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    browser = Browser(setup)
    await browser.get("/login")
    await browser.post("/login", {"account": SUPERVISOR})
    await browser.post("/login", {"account": "@nobody:example.org"})
    await browser.post("/login/code", {"code": "00000000"})
    await browser.post("/login", {"account": SUPERVISOR})
    await browser.get("/login/code")
    await browser.post("/login/code", {"code": "00000000"})
    code = setup.last_code(SUPERVISOR)
    await browser.post("/login/code", {"code": code})
    await browser.get("/")
    mine = participant_code(setup.filled.mine)
    reason = "REASON-LG77 checking the answers"
    await browser.post("/participant/open", {"code": mine, "reason": reason})
    await browser.get(f"/participant/answers?code={mine}")
    await browser.get("/export/escalation-times.csv")
    await browser.post("/logout", {})
    logged = "\n".join(
        f"{r.name} {r.getMessage()} {getattr(r, 'samtal_fields', '')}" for r in caplog.records
    )
    assert "console_login" in logged and "console_content_opened" in logged
    for secret in (SUPERVISOR, "@nobody", MEDIATOR, code, "127.0.0.1", reason, mine, ANSWER_TEXT):
        assert secret not in logged
