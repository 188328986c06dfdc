"""Fuzzing the supervisor console's requests: any path, host and cookie is answered
with the security headers and never an exception, and nothing but the login form
and the stylesheet is reached without a signed-in session."""

from __future__ import annotations

import asyncio
from datetime import timezone
from typing import Any

from aiohttp import web
from aiohttp.test_utils import make_mocked_request
from hypothesis import example, given, settings
from hypothesis import strategies as st
from multidict import CIMultiDict

from bot.console.login import LoginGate, Staffing
from bot.console.web import COOKIE, PUBLIC_PATHS, SECURITY_HEADERS, Console, ConsoleHooks

REACHED = "reached"


async def _handler(request: web.Request) -> web.StreamResponse:
    return web.Response(text=REACHED)


async def _nothing(*_args: Any) -> None:
    return None


def _console() -> Console:
    hooks = ConsoleHooks(
        _nothing, lambda *_: None, lambda *_: None, lambda *_: None, lambda *_: None
    )
    gate = LoginGate(Staffing(frozenset({"@s:x"}), frozenset()))
    return Console(gate, data=None, hooks=hooks, zone=timezone.utc)  # type: ignore[arg-type]


GUARD = _console().middleware()
# aiohttp decodes header bytes as UTF-8 with surrogateescape: a byte that is not UTF-8
# arrives as a lone surrogate (b"\xff" -> "\udcff").
header_text = st.binary(max_size=60).map(lambda b: b.decode("utf-8", "surrogateescape"))
hosts = st.sampled_from(["127.0.0.1:8470", "localhost", "[::1]:1", "evil.example"]) | header_text
paths = st.sampled_from(["/", "/login", "/audit", "/static/console.css", "//", "/%2e%2e/"]) | (
    st.text(max_size=20).map(lambda t: "/" + t.lstrip("/"))
)
cookies = st.none() | header_text.map(lambda v: f"{COOKIE}={v}") | header_text


@settings(max_examples=200, deadline=None)
@given(path=paths, host=hosts, cookie=cookies, method=st.sampled_from(["GET", "HEAD", "PUT"]))
@example(path="/", host="127.0.0.1", cookie=f"{COOKIE}=\udcff", method="GET")
def test_any_request_is_answered_with_the_headers(
    path: str, host: str, cookie: str | None, method: str
) -> None:
    headers = CIMultiDict({"Host": host})
    if cookie is not None:
        headers["Cookie"] = cookie
    try:
        request = make_mocked_request(method, path, headers=headers)
    except (ValueError, UnicodeError):
        return  # not a request aiohttp would parse
    response = asyncio.run(GUARD(request, _handler))  # type: ignore[arg-type]
    assert response.status in (200, 303, 404, 405)
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value
    if response.status == 200:
        assert request.path in PUBLIC_PATHS
