"""The console's web application: routes, the session cookie, CSRF, headers.

Nothing but the login form and the stylesheet is reachable without a signed-in
session. Every POST carries the session's CSRF token, or it is refused with a
403 before anything happens. Every response, errors included, carries the
security headers. There is no access log: a request line could carry a
participant code.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import tzinfo
from pathlib import Path
from urllib.parse import quote, urlsplit

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from bot import logs
from bot.console import views
from bot.console.audit_trail import AuditQuery, published_head
from bot.console.data import ConsoleData, ParticipantView, Viewer
from bot.console.login import LoginGate, Outcome, typed_account
from bot.console.pictures import Renderer, by_name
from bot.console.report import flow_report
from bot.console.sessions import Session, Sessions, csrf_ok
from bot.console.summary import Summary
from safety.audit.entry import ACTIONS

COOKIE = "__Host-samtal-console"
OPEN_SECONDS = 600.0
REASON_MIN_CHARS = 10
REASON_MAX_CHARS = 200
STATIC = Path(__file__).parent / "static"
PUBLIC_PATHS = frozenset({"/login", "/login/code", views.STYLESHEET})
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    # Instead of aiohttp's "Python/3.x aiohttp/3.y": no versions to look up.
    "Server": "samtal",
}
NOTHING_FOUND = "Nothing found that you may open under that code."
EXPORT_PATH = views.EXPORT_HREF
ACTOR_CHARS = 64
EXPORT_FILE = "samtal-escalation-times.csv"
EXPORT_WHAT = "console: escalation times (CSV)"
REPORT_FILE = "samtal-flow-audit.html"
REPORT_WHAT = "console: flow-audit report (HTML)"


@dataclass
class ConsoleHooks:
    """What the console asks of the gateway."""

    # (account, text): a notice in that person's desk.
    send_to_desk: Callable[[str, str], Awaitable[None]]
    # (account, "login" | "logout"): the content-free audit entry.
    record_session: Callable[[str, str], None]
    # (account, participant pseudonym, reason): must raise if it cannot be recorded.
    record_access: Callable[[str, str, str], None]
    # (account, what was exported): must raise if it cannot be recorded.
    record_export: Callable[[str, str], None]
    # (account, participant pseudonym): the assigned mediator was shown the desk's
    # check-in summaries; must raise if it cannot be recorded.
    record_summaries: Callable[[str, str], None]
    clock: Callable[[], float] = time.time
    # Background sends, kept so they are not collected before they finish.
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def in_background(self, work: Awaitable[None]) -> None:
        async def guarded() -> None:
            try:
                await work
            except Exception as exc:
                logs.warning("console_send_failed", error=type(exc).__name__)

        task = asyncio.create_task(guarded())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def _host_name(header: str) -> str:
    try:
        return urlsplit(f"//{header.lower()}").hostname or ""
    except ValueError:  # "[" and other hosts no URL can hold
        return ""


def _html(body: str, status: int = 200) -> web.Response:
    return web.Response(text=body, status=status, content_type="text/html")


def _see(location: str) -> web.Response:
    return web.Response(status=303, headers={"Location": location})


@dataclass
class _Request:
    """The session that came with a request, and whether its cookie must be set."""

    session_id: str | None
    session: Session | None
    new_cookie: str | None = None


_STATE = web.RequestKey("console_state", _Request)


def _state(request: web.Request) -> _Request:
    return request[_STATE]


def _viewer(request: web.Request) -> Viewer:
    session = _state(request).session
    assert session is not None and session.account is not None and session.role is not None
    return Viewer(session.account, session.role)


def _route_path(request: web.Request) -> str:
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else ""


def _client(request: web.Request) -> str:
    return request.remote or "unknown"


class Console:
    def __init__(
        self,
        gate: LoginGate,
        data: ConsoleData,
        hooks: ConsoleHooks,
        zone: tzinfo,
        allowed_hosts: frozenset[str] = LOOPBACK_HOSTS,
        renderer: Renderer | None = None,
    ) -> None:
        self.gate = gate
        self.sessions = Sessions()
        self.data = data
        self.hooks = hooks
        self.zone = zone
        self.allowed_hosts = allowed_hosts
        self.renderer = renderer or Renderer()
        # One vault read at a time from the console: a page decrypts many records.
        self._reading = asyncio.Lock()

    # -- middleware ------------------------------------------------------------

    def middleware(self) -> Middleware:
        @web.middleware
        async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
            try:
                response = await self._guarded(request, handler)
            except web.HTTPException as exc:
                response = _html(views.message_page(str(exc.status), exc.reason), exc.status)
            except Exception as exc:  # the headers go on every response, errors too
                logs.warning("console_request_failed", error=type(exc).__name__)
                response = _html(
                    views.message_page("Error", "Something went wrong; nothing was changed."),
                    500,
                )
            response.headers.update(SECURITY_HEADERS)
            state = request.get(_STATE)
            if state is not None and state.new_cookie is not None:
                _set_cookie(response, state.new_cookie)
            return response

        return guard

    async def _guarded(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        # A page reached through another name (DNS rebinding) is refused.
        if _host_name(request.headers.get("Host", "")) not in self.allowed_hosts:
            return _html(views.message_page("Not found", "Not found."), 404)
        # Which route answers, not the decoded path: "/static%2Fconsole.css" decodes
        # to the stylesheet's path but is answered by the catch-all.
        route = _route_path(request)
        if route == views.STYLESHEET:
            return await handler(request)
        now = self.hooks.clock()
        session_id = request.cookies.get(COOKIE)
        session = self.sessions.get(session_id, now)
        state = _Request(session_id if session else None, session)
        request[_STATE] = state
        if request.method == "POST":
            form = await request.post()
            presented = form.get(views.CSRF_FIELD)
            origin = request.headers.get("Origin")
            # "null" is what a browser sends as the Origin of the console's own forms,
            # since every page has Referrer-Policy: no-referrer; the token decides.
            if (
                session is None
                or not csrf_ok(session, presented if isinstance(presented, str) else None)
                or (origin is not None and origin != "null" and not self._same_origin(request))
            ):
                logs.event("console_post_refused")
                return _html(
                    views.message_page("Refused", "This form has expired. Reload the page."),
                    403,
                )
        elif request.method not in ("GET", "HEAD"):
            return _html(views.message_page("Not allowed", "Not allowed."), 405)
        if route in PUBLIC_PATHS:
            if session is None:
                state.session_id, state.session = self.sessions.start(now)
                state.new_cookie = state.session_id
            return await handler(request)
        if session is None or not session.signed_in:
            return _see("/login")
        return await handler(request)

    def _same_origin(self, request: web.Request) -> bool:
        try:
            origin = urlsplit(request.headers.get("Origin", "")).netloc
        except ValueError:  # an Origin no URL can hold comes from no page of ours
            return False
        return bool(origin) and origin.lower() == request.headers.get("Host", "").lower()

    # -- login -------------------------------------------------------------------

    async def login_form(self, request: web.Request) -> web.Response:
        state = _state(request)
        assert state.session is not None
        if state.session.signed_in:
            return _see("/")
        return _html(views.login_page(state.session.csrf))

    async def ask_code(self, request: web.Request) -> web.Response:
        state = _state(request)
        assert state.session is not None and state.session_id is not None
        form = await request.post()
        raw = form.get("account")
        account = typed_account(raw if isinstance(raw, str) else "")
        code = self.gate.ask(account, _client(request), self.hooks.clock(), state.session_id)
        if code is not None:
            # In the background: the answer comes as fast for an id that gets no
            # code as for one that does.
            self.hooks.in_background(self.hooks.send_to_desk(account, _code_text(code)))
        self.sessions.update(state.session_id, replace(state.session, asked_for=account))
        return _see("/login/code")

    async def code_form(self, request: web.Request) -> web.Response:
        state = _state(request)
        assert state.session is not None
        if state.session.asked_for is None:
            return _see("/login")
        return _html(views.code_page(state.session.csrf))

    async def check_code(self, request: web.Request) -> web.Response:
        state = _state(request)
        assert state.session is not None and state.session_id is not None
        account = state.session.asked_for
        if account is None:
            return _see("/login")
        form = await request.post()
        typed = form.get("code")
        now = self.hooks.clock()
        verdict = self.gate.check(
            account,
            _client(request),
            typed if isinstance(typed, str) else "",
            now,
            state.session_id,
        )
        if verdict.outcome is Outcome.LOCKED:
            logs.event("console_login_locked")
            notice = "Too many wrong codes. Wait a quarter of an hour, then ask for a new code."
            return _html(views.code_page(state.session.csrf, notice), 429)
        if verdict.outcome is Outcome.WRONG or verdict.role is None:
            logs.event("console_login_failed")
            return _html(views.code_page(state.session.csrf, "That code is not right."), 401)
        new_id = self.sessions.sign_in(state.session_id, account, verdict.role, now)
        try:
            self.hooks.record_session(account, "login")
        except Exception:
            # An unrecorded login is no login.
            self.sessions.end(new_id)
            raise
        logs.event("console_login", role=verdict.role.value)
        state.new_cookie = new_id
        return _see("/")

    async def logout(self, request: web.Request) -> web.Response:
        state = _state(request)
        assert state.session_id is not None
        viewer = _viewer(request)
        self.sessions.end(state.session_id)
        self.hooks.record_session(viewer.account, "logout")
        logs.event("console_logout")
        response = _see("/login")
        response.del_cookie(COOKIE, path="/", secure=True, httponly=True, samesite="Strict")
        return response

    # -- pages ---------------------------------------------------------------------

    async def _summary(self, viewer: Viewer) -> Summary:
        async with self._reading:
            now = self.hooks.clock()
            return await asyncio.to_thread(self.data.summary, viewer, now)

    def _csrf(self, request: web.Request) -> str:
        session = _state(request).session
        assert session is not None
        return session.csrf

    async def escalations(self, request: web.Request) -> web.Response:
        viewer = _viewer(request)
        summary = await self._summary(viewer)
        return _html(views.escalations_page(summary, viewer, self._csrf(request), self.zone))

    async def export_times(self, request: web.Request) -> web.Response:
        viewer = _viewer(request)
        if not viewer.supervisor:
            return self._nothing(request, viewer)
        async with self._reading:
            # Recorded first: an export that cannot be recorded is not made.
            self.hooks.record_export(viewer.account, EXPORT_WHAT)
            body = await asyncio.to_thread(self.data.escalation_times_csv, viewer)
        logs.event("console_export", what="escalation_times")
        return web.Response(
            text=body,
            content_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{EXPORT_FILE}"'},
        )

    async def export_report(self, request: web.Request) -> web.Response:
        viewer = _viewer(request)
        if not viewer.supervisor:
            return self._nothing(request, viewer)
        summary = await self._summary(viewer)
        drawn = await asyncio.to_thread(self.data.pictures)
        async with self._reading:
            # Recorded first, as the CSV is: a report that cannot be recorded is not made.
            self.hooks.record_export(viewer.account, REPORT_WHAT)
            stats = await asyncio.to_thread(self.data.flow_stats, summary.generated_at)
        body = flow_report(summary.flows, drawn, stats, summary.generated_at, self.zone)
        logs.event("console_export", what="flow_audit")
        return web.Response(
            text=body,
            content_type="text/html",
            headers={"Content-Disposition": f'attachment; filename="{REPORT_FILE}"'},
        )

    async def timeline(self, request: web.Request) -> web.Response:
        viewer = _viewer(request)
        async with self._reading:
            found = await asyncio.to_thread(self.data.timeline, viewer, request.match_info["code"])
        if found is None:
            return self._nothing(request, viewer)
        return _html(views.timeline_page(found, viewer, self._csrf(request), self.zone))

    async def audit(self, request: web.Request) -> web.Response:
        viewer = _viewer(request)
        if not viewer.supervisor:
            return self._nothing(request, viewer)
        query = audit_query(request.query)
        pasted = request.query.get("head", "").strip()
        published = published_head(pasted) if pasted else None
        async with self._reading:
            trail = await asyncio.to_thread(self.data.audit_trail, viewer, query, published)
        if trail is None:
            return self._nothing(request, viewer)
        unreadable = bool(pasted) and published is None
        return _html(views.audit_page(trail, viewer, self._csrf(request), self.zone, unreadable))

    async def flows(self, request: web.Request) -> web.Response:
        viewer = _viewer(request)
        summary = await self._summary(viewer)
        drawn = await asyncio.to_thread(self.data.pictures)
        async with self._reading:
            stats = await asyncio.to_thread(self.data.flow_stats, summary.generated_at)
        return _html(
            views.flows_page(
                summary, drawn, self.renderer.available, viewer, self._csrf(request), stats
            )
        )

    async def picture(self, request: web.Request) -> web.Response:
        viewer = _viewer(request)
        drawn = by_name(await asyncio.to_thread(self.data.pictures), request.match_info["name"])
        if drawn is None or not self.renderer.available:
            return self._nothing(request, viewer)
        svg = await asyncio.to_thread(self.renderer.svg, drawn.dot)
        return web.Response(body=svg, content_type="image/svg+xml")

    async def participants(self, request: web.Request) -> web.Response:
        viewer = _viewer(request)
        async with self._reading:
            codes = await asyncio.to_thread(self.data.participant_codes, viewer)
        return _html(views.participants_page(codes, viewer, self._csrf(request)))

    async def _participant(self, viewer: Viewer, code: str) -> ParticipantView | None:
        async with self._reading:
            return await asyncio.to_thread(self.data.participant, viewer, code)

    async def participant(self, request: web.Request) -> web.Response:
        viewer = _viewer(request)
        who = await self._participant(viewer, request.query.get("code", ""))
        if who is None:
            return self._nothing(request, viewer)
        session = _state(request).session
        assert session is not None
        until = session.open_until(who.pseudonym, self.hooks.clock())
        summaries = await self._summaries(viewer, who)
        return _html(
            views.participant_page(who, viewer, self._csrf(request), until, self.zone, summaries)
        )

    async def _summaries(self, viewer: Viewer, who: ParticipantView) -> list[str] | None:
        """The assigned mediator sees the summaries their desk was sent, without a
        reason; a supervisor (even one who is also the mediator) states one. Each
        showing is recorded first: if it cannot be, nothing is shown."""
        if viewer.supervisor or who.mediator != viewer.account:
            return None
        self.hooks.record_summaries(viewer.account, who.pseudonym)
        async with self._reading:
            shown = await asyncio.to_thread(self.data.summaries, who.pseudonym)
        logs.event("console_summaries_shown", participant=who.pseudonym)
        return shown

    async def open_content(self, request: web.Request) -> web.Response:
        state = _state(request)
        assert state.session is not None and state.session_id is not None
        viewer = _viewer(request)
        form = await request.post()
        code = form.get("code")
        raw_reason = form.get("reason")
        reason = " ".join(raw_reason.split()) if isinstance(raw_reason, str) else ""
        who = await self._participant(viewer, code if isinstance(code, str) else "")
        if who is None:
            return self._nothing(request, viewer)
        if not REASON_MIN_CHARS <= len(reason) <= REASON_MAX_CHARS:
            notice = f"A reason of {REASON_MIN_CHARS} to {REASON_MAX_CHARS} characters is needed."
            return _html(
                views.message_page("No reason given", notice, viewer, state.session.csrf), 400
            )
        now = self.hooks.clock()
        # Recorded first: if the record cannot be written, nothing opens.
        self.hooks.record_access(viewer.account, who.pseudonym, reason)
        opened = tuple(o for o in state.session.opened if o[0] != who.pseudonym)
        self.sessions.update(
            state.session_id,
            replace(state.session, opened=(*opened, (who.pseudonym, now + OPEN_SECONDS))),
        )
        logs.event("console_content_opened", participant=who.pseudonym)
        if who.mediator and who.mediator != viewer.account:
            self.hooks.in_background(self.hooks.send_to_desk(who.mediator, _opened_text(who.code)))
        return _see(f"/participant/answers?code={quote(who.code)}")

    async def answers(self, request: web.Request) -> web.Response:
        state = _state(request)
        assert state.session is not None
        viewer = _viewer(request)
        who = await self._participant(viewer, request.query.get("code", ""))
        if who is None:
            return self._nothing(request, viewer)
        until = state.session.open_until(who.pseudonym, self.hooks.clock())
        if until is None:
            return _see(f"/participant?code={quote(who.code)}")
        async with self._reading:
            content = await asyncio.to_thread(self.data.content, who.pseudonym)
        return _html(views.answers_page(who, content, viewer, state.session.csrf, until, self.zone))

    def _nothing(self, request: web.Request, viewer: Viewer) -> web.Response:
        return _html(
            views.message_page("Nothing found", NOTHING_FOUND, viewer, self._csrf(request)), 404
        )

    async def stylesheet(self, request: web.Request) -> web.Response:
        return web.Response(body=(STATIC / "console.css").read_bytes(), content_type="text/css")

    async def not_found(self, request: web.Request) -> web.Response:
        return self._nothing(request, _viewer(request))


def audit_query(params: Mapping[str, str]) -> AuditQuery:
    """The audit page's filter from its query string; anything malformed is
    simply no filter."""
    action = params.get("action", "")
    actor = params.get("actor", "").strip()
    before = params.get("before", "")
    return AuditQuery(
        action=action if action in ACTIONS else None,
        actor=actor if actor and len(actor) <= ACTOR_CHARS else None,
        before=int(before) if before.isascii() and before.isdigit() and len(before) < 19 else None,
    )


def _set_cookie(response: web.StreamResponse, session_id: str) -> None:
    # Secure even on plain loopback http: browsers keep Secure cookies for
    # http://127.0.0.1 and localhost, and behind a TLS proxy it is required.
    response.set_cookie(COOKIE, session_id, path="/", secure=True, httponly=True, samesite="Strict")


def _code_text(code: str) -> str:
    spaced = f"{code[:4]} {code[4:]}"
    return (
        f"🔑 Your samtal console code: {spaced}\n"
        "It works once, within five minutes. If you did not ask for it, someone typed "
        "your Matrix id at the console: ignore it and tell your supervisor."
    )


def _opened_text(code: str) -> str:
    return (
        f"\N{EYE} A supervisor opened the check-in answers, escalation quotes and notes of "
        f"{code} in the console, with a stated reason, for ten minutes. It is recorded in "
        "the audit trail."
    )


def create_app(console: Console) -> web.Application:
    app = web.Application(middlewares=[console.middleware()], client_max_size=64 * 1024)
    app.router.add_get(views.STYLESHEET, console.stylesheet)
    app.router.add_get("/login", console.login_form)
    app.router.add_post("/login", console.ask_code)
    app.router.add_get("/login/code", console.code_form)
    app.router.add_post("/login/code", console.check_code)
    app.router.add_post("/logout", console.logout)
    app.router.add_get("/", console.escalations)
    app.router.add_get("/escalations/{code}", console.timeline)
    app.router.add_get(EXPORT_PATH, console.export_times)
    app.router.add_get(views.REPORT_HREF, console.export_report)
    app.router.add_get("/audit", console.audit)
    app.router.add_get("/flows", console.flows)
    app.router.add_get("/flows/{name}.svg", console.picture)
    app.router.add_get("/participants", console.participants)
    app.router.add_get("/participant", console.participant)
    app.router.add_post("/participant/open", console.open_content)
    app.router.add_get("/participant/answers", console.answers)
    app.router.add_route("*", "/{tail:.*}", console.not_found)
    return app
