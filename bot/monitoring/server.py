"""The gateway's health and metrics endpoints, for its own supervisor.

``/healthz`` and ``/metrics`` only, over GET; every other path or method is a
404. No CORS headers, no access log, and on loopback a request must name a
loopback host, so a web page cannot read the endpoints through DNS rebinding.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from bot import logs
from bot.monitoring.health import Health

HEALTH_PATH = "/healthz"
METRICS_PATH = "/metrics"
METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})

HealthSource = Callable[[], Awaitable[Health]]
MetricsSource = Callable[[], str]


def _host_name(header: str) -> str:
    """The host part of a Host header: ``[::1]:9733`` → ``::1``."""
    header = header.lower()
    if header.startswith("["):
        return header[1:].split("]", 1)[0]
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


def _not_found() -> web.Response:
    return web.Response(status=404, text="404: not found\n")


def _guard(loopback_only: bool) -> Middleware:
    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        allowed = request.method in ("GET", "HEAD") and request.path in (
            HEALTH_PATH,
            METRICS_PATH,
        )
        if loopback_only and _host_name(request.headers.get("Host", "")) not in LOOPBACK_HOSTS:
            allowed = False
        if not allowed:
            response: web.StreamResponse = _not_found()
        else:
            try:
                response = await handler(request)
            except web.HTTPException as exc:
                response = web.Response(status=exc.status, text=f"{exc.status}\n")
            except Exception as exc:  # the headers go on every response, errors too
                logs.warning("monitoring_request_failed", error=type(exc).__name__)
                response = web.Response(status=500, text="500: internal error\n")
        response.headers.update(SECURITY_HEADERS)
        return response

    return guard


def create_app(
    health: HealthSource, metrics: MetricsSource, *, loopback_only: bool = True
) -> web.Application:
    async def healthz(request: web.Request) -> web.Response:
        state = await health()
        return web.Response(
            status=200 if state.ok else 503,
            text=json.dumps(state.to_json()) + "\n",
            content_type="application/json",
        )

    async def metrics_page(request: web.Request) -> web.Response:
        response = web.Response(body=metrics().encode())
        response.headers["Content-Type"] = METRICS_CONTENT_TYPE
        return response

    app = web.Application(middlewares=[_guard(loopback_only)])
    app.router.add_get(HEALTH_PATH, healthz)
    app.router.add_get(METRICS_PATH, metrics_page)
    return app
