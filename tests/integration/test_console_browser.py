"""The supervisor console in a real browser (Debian's chromium, headless, driven by
Playwright) against the stack `make run` starts: the login by a code that arrives
over Matrix in the staff member's desk, wrong codes and the lockout, CSRF, pages
out of reach without a session, what a mediator may see, and a justified access
to content that the audit trail records and the mediator is told of."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio
from playwright.async_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    async_playwright,
)

from bot.launcher.stack import DEMO_MEDIATOR, DEMO_ON_CALL, user_id
from bot.transports.matrix.chat_client import ChatClient
from tests.conftest import RecordingChatClient, RunningStack, Staff
from tests.integration.test_escalation import page_for

pytestmark = pytest.mark.integration

CODE_MESSAGE = re.compile(r"samtal console code: (\d{4}) (\d{4})")
# A Matrix user id: @localpart:server (the grammar's characters, loosely).
MATRIX_ID = re.compile(r"@[A-Za-z0-9._=/+-]+:[A-Za-z0-9.-]+")
LINK = re.compile(r'(?:href|src)="(/[^"]*)"')
# Pages that show what a stated reason opened: the one place a participant's words may be.
JUSTIFIED = "/participant/answers"
CRAWL_LIMIT = 250
ESCALATION = re.compile(r"E-[A-Z0-9]{6}")
HIGH_EN = "I know where she lives now and I called her 40 times"


# Set to a folder (docs/console to refresh the pictures in docs/console.md) to keep
# a screenshot of each page the tests pass through.
SCREENSHOTS = os.environ.get("SAMTAL_CONSOLE_SCREENSHOTS")


async def snap(page: Page, name: str, *, full_page: bool = True) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=Path(SCREENSHOTS) / f"{name}.png", full_page=full_page)


def chromium_path() -> str:
    found = shutil.which("chromium")
    assert found, "Debian's chromium is missing: run make chromium-setup"
    return found


@pytest_asyncio.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=chromium_path(), headless=True)
        try:
            yield launched
        finally:
            await launched.close()


def console_url(stack: RunningStack, path: str = "/") -> str:
    return f"http://127.0.0.1:{stack.stack.ports['console']}{path}"


# Chromium reports every page answered with an error status (the 404s these tests
# ask for on purpose) as a console error; anything else (a style or script the
# Content-Security-Policy refused, a missing asset) counts.
EXPECTED_STATUS = re.compile(
    r"^Failed to load resource: the server responded with a status of 40[34]"
)


class Watched:
    """A page whose console errors are collected."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.errors: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error" and not EXPECTED_STATUS.match(message.text):
            self.errors.append(message.text)


async def new_page(browser: Browser) -> tuple[BrowserContext, Watched]:
    context = await browser.new_context()
    return context, Watched(await context.new_page())


async def code_from_desk(client: ChatClient, desk: str, seen: int, timeout: float = 30) -> str:
    """The code in the first console-code message to arrive in ``desk`` after the
    first ``seen`` messages the client received."""
    async with asyncio.timeout(timeout):
        while True:
            for room, _, body, _ in client.received[seen:]:
                if room == desk and (found := CODE_MESSAGE.search(body)):
                    return found.group(1) + found.group(2)
            await asyncio.sleep(0.1)


async def ask_for_code(watched: Watched, stack: RunningStack, account: str) -> None:
    page = watched.page
    await page.goto(console_url(stack))
    assert page.url == console_url(stack, "/login")
    await snap(page, "login")
    await page.fill("#account", account)
    await page.click("button[type=submit]")
    await page.wait_for_url(console_url(stack, "/login/code"))
    await snap(page, "login-code")


async def log_in(
    browser: Browser, stack: RunningStack, staff: Staff, client: ChatClient
) -> tuple[BrowserContext, Watched]:
    context, watched = await new_page(browser)
    seen = len(client.received)
    await ask_for_code(watched, stack, str(client.client.user_id))
    code = await code_from_desk(client, staff.desk(client), seen)
    await watched.page.fill("#code", code)
    await watched.page.click("button[type=submit]")
    await watched.page.wait_for_url(console_url(stack, "/"))
    return context, watched


@pytest_asyncio.fixture(scope="module")
async def supervisor(
    browser: Browser, running_stack: RunningStack, staff: Staff
) -> AsyncIterator[tuple[BrowserContext, Watched]]:
    context, watched = await log_in(browser, running_stack, staff, staff.supervisor)
    try:
        yield context, watched
    finally:
        await context.close()


async def test_a_supervisor_logs_in_with_the_code_from_their_desk(
    running_stack: RunningStack, supervisor: tuple[BrowserContext, Watched]
) -> None:
    context, watched = supervisor
    page = watched.page
    assert await page.text_content("h1") == "Escalations"
    cookies = {c["name"]: c for c in await context.cookies()}
    session = cookies["__Host-samtal-console"]
    assert session["httpOnly"] and session["secure"] and session["sameSite"] == "Strict"
    for path, heading in (
        ("/", "Escalations"),
        ("/flows", "Dialogue flows"),
        ("/participants", "Participants"),
        ("/audit", "Audit trail"),
    ):
        response = await page.goto(console_url(running_stack, path))
        assert response is not None and response.status == 200
        assert await page.text_content("h1") == heading
        assert ":localhost" not in await page.content()  # no Matrix id on any page
    assert "console_session" in await page.content()  # the login is in the audit trail
    await page.goto(console_url(running_stack, "/"))
    async with page.expect_download() as downloading:
        await page.click("text=Download every escalation")
    download = await downloading.value
    exported = (await download.path()).read_text()
    assert exported.startswith("week,level,answered,response_seconds,reescalations,open\n")
    assert "E-" not in exported and "P-" not in exported and "@" not in exported
    await page.goto(console_url(running_stack, "/audit"))
    assert "<td>export</td>" in await page.content()
    await page.goto(console_url(running_stack, "/flows"))
    for name in ("consent", "checkin", "safety", "ways_out"):
        picture = page.locator(f"#flow-{name} img")
        await picture.wait_for()
        # Drawn by Graphviz on the server and shown by the browser, CSP and all.
        assert await picture.evaluate("img => img.complete && img.naturalWidth > 0")
        caption = await page.text_content(f"#flow-{name} figcaption")
        assert caption is not None and "the static safety audit finds nothing" in caption
    assert watched.errors == []


async def crawl(context: BrowserContext, stack: RunningStack) -> dict[str, str]:
    """Every page, picture and export a signed-in viewer can reach by following the
    console's own links, but the content a justified access opened: path -> body."""
    seen: dict[str, str] = {}
    queue = ["/", "/flows", "/participants", "/audit"]
    while queue and len(seen) < CRAWL_LIMIT:
        path = queue.pop(0).replace("&amp;", "&")
        if path in seen or path.startswith(JUSTIFIED) or path == "/logout":
            continue
        response = await context.request.get(console_url(stack, path), max_redirects=0)
        body = await response.text()
        seen[path] = body
        queue += [link for link in LINK.findall(body) if link not in seen]
    assert len(seen) < CRAWL_LIMIT, "the crawl did not finish"
    return seen


def identifying(pages: dict[str, str], words: list[str]) -> list[str]:
    """Where a Matrix id or one of the participants' own words shows up."""
    found = []
    for path, body in pages.items():
        found += [f"{path}: a Matrix id" for _ in MATRIX_ID.finditer(body)]
        found += [f"{path}: their words" for word in words if word in body]
    return found


async def test_make_run_writes_where_the_console_is(running_stack: RunningStack) -> None:
    running_stack.stack.write_stack_json()
    written = json.loads(running_stack.stack.layout.stack_json.read_text())
    assert written["console_url"] == console_url(running_stack)
    async with (
        aiohttp.ClientSession() as http,
        http.get(written["console_url"] + "login") as response,
    ):
        assert response.status == 200
        assert "Send me a code" in await response.text()


async def test_no_page_is_reachable_without_a_session(
    browser: Browser, running_stack: RunningStack
) -> None:
    context, watched = await new_page(browser)
    try:
        for path in ("/", "/audit", "/flows", "/participants", "/escalations/E-AAAAAA"):
            response = await context.request.get(console_url(running_stack, path), max_redirects=0)
            assert response.status == 303 and response.headers["location"] == "/login"
            await watched.page.goto(console_url(running_stack, path))
            assert watched.page.url == console_url(running_stack, "/login")
        assert watched.errors == []
    finally:
        await context.close()


async def test_a_post_without_the_csrf_token_is_refused(
    running_stack: RunningStack, supervisor: tuple[BrowserContext, Watched]
) -> None:
    context, watched = supervisor
    # The browser's own cookie goes along; only the form's token is missing.
    refused = await context.request.post(console_url(running_stack, "/logout"), form={})
    assert refused.status == 403
    forged = await context.request.post(
        console_url(running_stack, "/logout"), form={"csrf": "not-the-token"}
    )
    assert forged.status == 403
    for header in ("content-security-policy", "x-frame-options", "referrer-policy"):
        assert header in refused.headers
    assert "unsafe-inline" not in refused.headers["content-security-policy"]
    response = await watched.page.goto(console_url(running_stack, "/"))
    assert response is not None and response.status == 200  # still signed in


async def enrolled_with_a_page(
    stack: RunningStack, staff: Staff, mediator: str, desk_of: ChatClient
) -> tuple[RecordingChatClient, str, str]:
    """A participant assigned to ``mediator`` whose message opened an escalation;
    their code and the escalation's code."""
    client = await stack.new_client("console", enroll_language="en", mediator=mediator)
    room = await client.open_chat(stack.bot_user_id)
    who = stack.participant_code(str(client.client.user_id))
    await client.send(room, HIGH_EN)
    async with asyncio.timeout(30):
        while True:
            pages = [
                body
                for got, _, body, _ in desk_of.received
                if got == staff.desk(desk_of) and f"participant {who}" in body
            ]
            if pages and (found := ESCALATION.search(pages[0])):
                return client, who, found.group()
            await asyncio.sleep(0.1)


async def resolve(staff: Staff, escalation: str) -> None:
    """Resolve a page this file raised, and wait until the bot says so, so that
    nothing of it reaches the desks during a later test."""
    await staff.supervisor.send(
        staff.desk(staff.supervisor), f"!resolve {escalation} seen in the console test"
    )
    await page_for(staff.supervisor, staff.desk(staff.supervisor), f"{escalation} is resolved")


async def test_a_mediator_sees_only_their_own_participants_and_the_access_is_told(
    browser: Browser,
    running_stack: RunningStack,
    staff: Staff,
    supervisor: tuple[BrowserContext, Watched],
) -> None:
    mine, mine_code, mine_page = await enrolled_with_a_page(
        running_stack, staff, user_id(DEMO_MEDIATOR), staff.mediator
    )
    theirs, theirs_code, theirs_page = await enrolled_with_a_page(
        running_stack, staff, user_id(DEMO_ON_CALL), staff.on_call
    )
    context, watched = await log_in(browser, running_stack, staff, staff.mediator)
    try:
        page = watched.page
        await page.goto(console_url(running_stack, "/"))
        shown = await page.content()
        assert mine_code in shown and mine_page in shown
        assert theirs_code not in shown and theirs_page not in shown
        assert ":localhost" not in shown and HIGH_EN not in shown
        other = await page.goto(console_url(running_stack, f"/participant?code={theirs_code}"))
        other_text = await page.text_content("body")
        unknown = await page.goto(console_url(running_stack, "/participant?code=P-ZZZZZZ"))
        assert other is not None and unknown is not None
        assert other.status == unknown.status == 404
        assert other_text == await page.text_content("body")
        timeline = await page.goto(console_url(running_stack, f"/escalations/{theirs_page}"))
        assert timeline is not None and timeline.status == 404
        audit = await page.goto(console_url(running_stack, "/audit"))
        assert audit is not None and audit.status == 404
        assert watched.errors == []

        # The supervisor sees both, and opens one participant's answers with a reason.
        sup = supervisor[1].page
        await sup.goto(console_url(running_stack, "/"))
        everything = await sup.content()
        assert mine_code in everything and theirs_code in everything
        assert ":localhost" not in everything and HIGH_EN not in everything
        await snap(sup, "escalations")
        await sup.click(f"text={mine_page}")
        assert await sup.text_content("h1") == f"Escalation {mine_page}"
        assert "created" in await sup.content()
        await snap(sup, "escalation-timeline")
        seen = len(staff.mediator.received)
        await sup.goto(console_url(running_stack, f"/participant?code={mine_code}"))
        await sup.fill("#reason", "checking the answers before calling them back")
        await snap(sup, "participant-reason")
        await sup.click("button:has-text('Open the check-in answers')")
        await sup.wait_for_url(re.compile(r"/participant/answers\?code="))
        assert await sup.text_content("h1") == f"Check-in answers of {mine_code}"
        # The message that raised the page, opened with the reason.
        assert "I know where she lives now" in await sup.content()
        await snap(sup, "participant-answers")
        await sup.goto(console_url(running_stack, "/audit"))
        assert "content_access" in await sup.content()
        await snap(sup, "audit-trail")
        await sup.goto(console_url(running_stack, "/flows"))
        await sup.locator("#flow-consent img").wait_for()
        await sup.locator("#flow-consent").scroll_into_view_if_needed()
        await snap(sup, "flows", full_page=False)
        async with asyncio.timeout(30):
            while not any(
                room == staff.desk(staff.mediator) and "opened the check-in answers" in body
                for room, _, body, _ in staff.mediator.received[seen:]
            ):
                await asyncio.sleep(0.1)
        told = [
            body
            for room, _, body, _ in staff.mediator.received[seen:]
            if "opened the check-in answers" in body
        ]
        assert mine_code in told[0] and "checking the answers" not in told[0]
        assert supervisor[1].errors == []

        # No page either of them can reach shows a Matrix id or what the participants
        # wrote, but the answers the supervisor opened with a reason.
        ids = [str(mine.client.user_id), str(theirs.client.user_id)]
        assert all(MATRIX_ID.fullmatch(one) for one in ids)  # the check can catch them
        words = [HIGH_EN, "where she lives", *ids]
        everywhere = await crawl(supervisor[0], running_stack)
        assert {"/export/flow-audit.html", "/export/escalation-times.csv"} <= everywhere.keys()
        own = await crawl(context, running_stack)
        for pages in (everywhere, own):
            assert {"/", "/flows", "/participants"} <= pages.keys()
            assert any(path.startswith("/escalations/") for path in pages)
            assert any(path.startswith("/participant?code=") for path in pages)
            assert identifying(pages, words) == []
        opened = await supervisor[0].request.get(
            console_url(running_stack, f"{JUSTIFIED}?code={mine_code}"), max_redirects=0
        )
        assert "where she lives" in await opened.text()  # the one page it may be on
    finally:
        await context.close()
        await resolve(staff, mine_page)
        await resolve(staff, theirs_page)
        await mine.stop()
        await theirs.stop()


async def test_the_audit_trail_holds_the_head_posted_to_the_team_room(
    browser: Browser, running_stack: RunningStack, staff: Staff
) -> None:
    # A restart posts the head at once (then hourly), to staff devices that can
    # read it; it also ends every console session, so this test logs in anew.
    await running_stack.stack.stop_gateway()
    await running_stack.stack.start_gateway()
    posted = await page_for(staff.supervisor, staff.room_id, "🧾 audit head", timeout=30)
    context, watched = await log_in(browser, running_stack, staff, staff.supervisor)
    try:
        page = watched.page
        await page.goto(console_url(running_stack, "/audit"))
        await page.fill("#head", posted)
        await page.click("text=Check the chain against it")
        await page.wait_for_url(re.compile(r"/audit\?head="))
        assert "holds the published head" in (await page.text_content("body") or "")
        assert watched.errors == []
    finally:
        await context.close()


async def test_wrong_codes_lock_the_account_even_against_the_right_code(
    browser: Browser, running_stack: RunningStack, staff: Staff
) -> None:
    # Last in this file: it locks the demo mediator out of the console for a while.
    context, watched = await new_page(browser)
    try:
        seen = len(staff.mediator.received)
        await ask_for_code(watched, running_stack, str(staff.mediator.client.user_id))
        right = await code_from_desk(staff.mediator, staff.desk(staff.mediator), seen)
        wrong = f"{(int(right) + 1) % 10**8:08d}"
        page = watched.page
        notices = []
        for _ in range(5):
            await page.fill("#code", wrong)
            await page.click("button[type=submit]")
            notices.append(await page.text_content(".notice"))
        assert notices[:4] == ["That code is not right."] * 4
        assert "Too many wrong codes" in (notices[4] or "")
        await page.fill("#code", right)
        await page.click("button[type=submit]")
        assert "Too many wrong codes" in (await page.text_content(".notice") or "")
        assert page.url == console_url(running_stack, "/login/code")
        response = await context.request.get(console_url(running_stack, "/"), max_redirects=0)
        assert response.status == 303
    finally:
        await context.close()
