"""The console's web server: loopback only, one bearer token, strict headers.

The token is accepted as ``?token=`` (the link printed at start) or as an
``Authorization: Bearer`` header (for scripts reading ``/api/summary``).
"""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Callable
from datetime import tzinfo
from urllib.parse import urlencode

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from bot import logs
from bot.console.pages import render_page
from bot.console.summary import Summary, summary_json

LOOPBACK = "127.0.0.1"
SUMMARY_PATH = "/api/summary"
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}
_QUERY_KEY = "token"
_BEARER = "Bearer "

SummarySource = Callable[[], Summary]


def console_url(port: int, secret: str, path: str = "/") -> str:
    return f"http://{LOOPBACK}:{port}{path}?{urlencode({_QUERY_KEY: secret})}"


def _presented(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    if header.startswith(_BEARER):
        return header[len(_BEARER) :]
    return request.query.get(_QUERY_KEY)


def _guard(secret: str) -> Middleware:
    expected = secret.encode()

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        presented = _presented(request)
        # Bytes, because compare_digest refuses non-ASCII str and a caller
        # could otherwise turn a wrong token into a 500 instead of a 401. aiohttp
        # reads a header byte that is not UTF-8 as a lone surrogate, which only
        # surrogateescape turns back into bytes.
        if presented is None or not hmac.compare_digest(
            presented.encode("utf-8", "surrogateescape"), expected
        ):
            response: web.StreamResponse = web.Response(
                status=401,
                text="401: this console needs the token printed when it started\n",
                headers={"WWW-Authenticate": "Bearer"},
            )
        else:
            try:
                response = await handler(request)
            except web.HTTPException as exc:
                response = web.Response(status=exc.status, text=f"{exc.status}: {exc.reason}\n")
            except Exception as exc:  # the headers go on every response, errors too
                logs.warning("console_request_failed", error=type(exc).__name__)
                response = web.Response(status=500, text="500: the summary could not be built\n")
        response.headers.update(SECURITY_HEADERS)
        return response

    return guard


class _Pages:
    def __init__(self, source: SummarySource, zone: tzinfo, secret: str) -> None:
        self._source = source
        self._zone = zone
        self._secret = secret
        # One summary at a time: it decrypts every escalation and parses the
        # dialogue files, and the vault connection is shared.
        self._building = asyncio.Lock()

    async def _summary(self) -> Summary:
        async with self._building:
            # In a thread, so a slow build never stalls the event loop.
            return await asyncio.to_thread(self._source)

    async def index(self, request: web.Request) -> web.Response:
        summary = await self._summary()
        json_href = f"{SUMMARY_PATH}?{urlencode({_QUERY_KEY: self._secret})}"
        return web.Response(
            text=render_page(summary, self._zone, json_href), content_type="text/html"
        )

    async def summary(self, request: web.Request) -> web.Response:
        return web.json_response(summary_json(await self._summary()))


def create_app(source: SummarySource, zone: tzinfo, secret: str) -> web.Application:
    pages = _Pages(source, zone, secret)
    app = web.Application(middlewares=[_guard(secret)])
    app.router.add_get("/", pages.index)
    app.router.add_get(SUMMARY_PATH, pages.summary)
    return app


async def start_console(app: web.Application, port: int) -> tuple[web.AppRunner, int]:
    """Serve ``app`` on loopback; port 0 lets the system choose a free one."""
    # No access log: request lines carry the token in the query string.
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, LOOPBACK, port)
    await site.start()
    bound = runner.addresses[0]
    return runner, int(bound[1])
