"""Fuzzing the supervisor console's requests: any path, query and Authorization header
is answered (401 without the token), with the security headers, never an exception."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from urllib.parse import quote

from aiohttp import web
from hypothesis import example, given
from hypothesis import strategies as st
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from bot.console.server import SECURITY_HEADERS, _guard

SECRET = "s3cret-token-for-the-fuzz-test-0123456789"
GUARD = _guard(SECRET)


async def _handler(request: web.Request) -> web.StreamResponse:
    return web.Response(text="summary")


# aiohttp decodes header bytes as UTF-8 with surrogateescape: a byte that is not UTF-8
# arrives as a lone surrogate (b"\xff" -> "\udcff").
header_text = st.binary(max_size=60).map(lambda b: b.decode("utf-8", "surrogateescape"))
tokens = st.one_of(
    st.just(SECRET),
    st.just(SECRET + "x"),
    st.text(max_size=50),
    header_text,
    st.sampled_from(["", "\u00e5", SECRET.upper(), SECRET[:-1]]),
)
authorization = st.none() | tokens.map(lambda t: "Bearer " + t) | header_text
queries = st.one_of(
    st.none(),
    tokens.map(lambda t: "token=" + quote(t, errors="surrogateescape")),
    st.text(max_size=40).map(quote),
    st.sampled_from(["token=%ff", "token=%ff%fe&token=x", "token", "token=&token=", "%zz"]),
)
paths = st.sampled_from(["/", "/api/summary", "/nope", "//", "/%2e%2e/"]) | st.text(max_size=20)


@given(path=paths, query=queries, auth=authorization)
@example(path="/", query=None, auth="Bearer \udcff")
@example(path="/", query="token=%ff", auth=None)
def test_any_request_is_answered(path: str, query: str | None, auth: str | None) -> None:
    target = "/" + quote(path.lstrip("/"), safe="/%", errors="surrogateescape")
    if query is not None:
        target += "?" + query
    headers = CIMultiDict() if auth is None else CIMultiDict(Authorization=auth)
    # The guard reads the parsed query (yarl's, as aiohttp's) and the decoded headers;
    # aiohttp's test request would re-encode headers, which a surrogate cannot survive.
    request = SimpleNamespace(headers=CIMultiDictProxy(headers), query=URL(target).query)
    response = asyncio.run(GUARD(request, _handler))  # type: ignore[arg-type]
    assert response.status in (200, 401)
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value
    presented = auth[len("Bearer ") :] if auth and auth.startswith("Bearer ") else None
    if response.status == 200:
        assert presented == SECRET or (presented is None and request.query.get("token") == SECRET)


def test_a_header_byte_that_is_not_utf8_is_refused_not_a_500() -> None:
    request = SimpleNamespace(
        headers=CIMultiDictProxy(CIMultiDict(Authorization="Bearer \udcff")), query={}
    )
    response = asyncio.run(GUARD(request, _handler))  # type: ignore[arg-type]
    assert response.status == 401
    assert response.headers["X-Frame-Options"] == "DENY"
