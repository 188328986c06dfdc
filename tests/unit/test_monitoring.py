"""Health and metrics: the registry, the exposition format, counting from log
events, the health judgement, the cached Rasa check, the config and the server."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web

from bot import logs
from bot.errors import RasaUnavailable
from bot.monitoring.gateway_metrics import GatewayMetrics, Sources
from bot.monitoring.health import Health, judge
from bot.monitoring.loopback_http import serve
from bot.monitoring.rasa_check import RasaCheck
from bot.monitoring.registry import Registry, format_value
from bot.monitoring.server import (
    METRICS_CONTENT_TYPE,
    SECURITY_HEADERS,
    create_app,
)
from bot.rasa.client import RasaClient

PSEUDONYM = "p-3f9c1e7a"
MATRIX_ID = "@alice:example.org"
# One sample line of the text format: name, optional labels, value.
SAMPLE = re.compile(
    r'^[a-z_:][a-z0-9_:]*(\{([a-z_]+="[^"\\\n]*",?)*\})? (-?[0-9.e+]+|NaN|[+-]Inf)$'
)


def sources(**overrides: Any) -> Sources:
    values: dict[str, Any] = {
        "started_at": 1_800_000_000.0,
        "last_sync_age": lambda: 2.5,
        "rooms": lambda: 4,
        "turns_pending": lambda: 1,
        "escalations_open": lambda: 2,
        "rasa_up": lambda: 1.0,
    }
    values.update(overrides)
    return Sources(**values)


def parse(text: str) -> dict[str, float]:
    """Every sample of an exposition, after checking each line's shape."""
    assert text.endswith("\n")
    found: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            continue
        assert SAMPLE.match(line), line
        name, value = line.rsplit(" ", 1)
        found[name] = float(value.replace("Inf", "inf"))
    return found


def test_counters_start_at_zero_for_every_fixed_label_and_only_go_up() -> None:
    registry = Registry()
    counter = registry.counter("x_total", "Things.", {"risk": ("high", "none")})
    counter.inc(risk="high")
    counter.inc(2, risk="high")
    counter.inc(-5, risk="high")
    text = registry.render()
    assert "# HELP x_total Things.\n# TYPE x_total counter\n" in text
    assert parse(text) == {'x_total{risk="high"}': 3.0, 'x_total{risk="none"}': 0.0}


def test_a_label_value_outside_its_set_is_counted_as_other() -> None:
    registry = Registry()
    counter = registry.counter("x_total", "Things.", {"risk": ("high",)})
    counter.inc(risk=f'{MATRIX_ID} said "hi"\n')
    text = registry.render()
    assert MATRIX_ID not in text
    assert parse(text)['x_total{risk="other"}'] == 1.0


def test_histograms_are_cumulative_with_sum_and_count() -> None:
    registry = Registry()
    histogram = registry.histogram("t_seconds", "Time.", (0.1, 1.0))
    for value in (0.05, 0.5, 0.5, 3.0, float("nan"), -1.0):
        histogram.observe(value)
    samples = parse(registry.render())
    assert samples['t_seconds_bucket{le="0.1"}'] == 1
    assert samples['t_seconds_bucket{le="1"}'] == 3
    assert samples['t_seconds_bucket{le="+Inf"}'] == 4
    assert samples["t_seconds_count"] == 4
    assert samples["t_seconds_sum"] == pytest.approx(4.05)
    with pytest.raises(ValueError):
        registry.histogram("u_seconds", "Bad.", (1.0, 0.5))


def test_gauges_without_a_value_are_left_out_and_a_failing_source_too() -> None:
    registry = Registry()
    registry.gauge("a", "Set.").set(1.5)
    registry.gauge("b", "Never set.")

    def broken() -> float:
        raise RuntimeError("state unavailable")

    registry.gauge("c", "Broken.", broken)
    assert parse(registry.render()) == {"a": 1.5}


def test_values_and_help_are_formatted_for_the_text_format() -> None:
    assert format_value(3.0) == "3"
    assert format_value(0.25) == "0.25"
    assert format_value(float("inf")) == "+Inf"
    assert format_value(float("nan")) == "NaN"
    registry = Registry()
    registry.gauge("h", "Two\nlines \\ here.").set(0)
    assert "# HELP h Two\\nlines \\\\ here.\n" in registry.render()
    with pytest.raises(ValueError):
        registry.gauge("h", "Declared twice.")


def test_log_events_are_counted_without_anyone_in_the_output() -> None:
    metrics = GatewayMetrics(sources())
    stop = logs.observe(metrics.on_event)
    try:
        logs.event("message_screened", participant=PSEUDONYM, ms=12.0)
        logs.tally("risk_screened", risk="imminent")
        logs.event("message_screened", participant=PSEUDONYM, ms=3.0)
        logs.tally("risk_screened", risk="none")
        logs.event("escalation_created", code="E-ABC234", participant=PSEUDONYM)
        logs.tally("escalation_opened", level="imminent")
        logs.event("escalation_notice_sent", code="E-ABC234", notice="page", ms_since_created=800)
        logs.event("escalation_reescalated", code="E-ABC234")
        logs.event("escalation_acknowledged", code="E-ABC234")
        logs.event("turn_answered", participant=PSEUDONYM, ms=1500.0)
        logs.warning("rate_limited", call="room_send", retry_after_ms=100)
        logs.warning("message_undecryptable_lost", lost_total=1)
        logs.event("gateway_back", down_s=42.5, late_messages=3)
        logs.event(f"{MATRIX_ID} is no event kind")
    finally:
        stop()
    logs.event("turn_answered", participant=PSEUDONYM, ms=1.0)  # no longer observed
    text = metrics.render()
    samples = parse(text)
    assert samples['samtal_messages_screened_total{risk="imminent"}'] == 1
    assert samples['samtal_messages_screened_total{risk="none"}'] == 1
    assert samples['samtal_messages_screened_total{risk="high"}'] == 0
    assert samples['samtal_escalations_created_total{level="imminent"}'] == 1
    assert samples['samtal_pages_sent_total{notice="page"}'] == 1
    assert samples['samtal_page_delay_seconds_bucket{le="1"}'] == 1
    assert samples["samtal_reescalations_total"] == 1
    assert samples['samtal_escalation_changes_total{change="acknowledged"}'] == 1
    assert samples["samtal_turns_answered_total"] == 1
    assert samples['samtal_turn_seconds_bucket{le="1"}'] == 0
    assert samples['samtal_turn_seconds_bucket{le="2"}'] == 1
    assert samples["samtal_rate_limited_total"] == 1
    assert samples["samtal_messages_undecryptable_lost_total"] == 1
    assert samples["samtal_gateway_downtime_before_start_seconds"] == 42.5
    assert samples["samtal_gateway_late_messages"] == 3
    assert samples['samtal_log_events_total{event="rate_limited",level="warning"}'] == 1
    # A tally is counted where it belongs and is no log event.
    assert not any("risk_screened" in name or "escalation_opened" in name for name in samples)
    assert samples['samtal_screen_seconds_bucket{le="0.025"}'] == 2
    assert samples["samtal_last_sync_age_seconds"] == 2.5
    assert samples["samtal_escalations_open"] == 2
    assert samples["samtal_gateway_start_time_seconds"] == 1_800_000_000
    for secret_text in (PSEUDONYM, MATRIX_ID, "alice", "E-ABC234", "room_send"):
        assert secret_text not in text


def test_health_needs_a_recent_sync_and_a_reachable_rasa() -> None:
    assert judge(5.0, 90.0, True) == Health(True, (), 5.0)
    assert judge(None, 90.0, True).reasons == ("not_synced_yet",)
    assert judge(91.0, 90.0, False).reasons == ("sync_stale", "rasa_unreachable")
    assert judge(1.0, 90.0, None).ok
    assert judge(1.0, 90.0, False).to_json() == {
        "status": "unhealthy",
        "reasons": ["rasa_unreachable"],
        "last_sync_age_seconds": 1.0,
    }


class FakeRasa:
    def __init__(self, clock: list[float]) -> None:
        self.reachable: bool | None = None
        self.checked_at: float | None = None
        self.probes = 0
        self.answers = True
        self._clock = clock

    async def probe(self, timeout_seconds: float = 3.0) -> bool:
        self.probes += 1
        self.reachable, self.checked_at = self.answers, self._clock[0]
        return self.answers


async def test_rasa_is_probed_at_most_once_an_interval() -> None:
    clock = [100.0]
    rasa = FakeRasa(clock)
    check = RasaCheck(rasa, every=15.0, clock=lambda: clock[0])
    assert check.last_known() is None
    assert await check.up()
    for _ in range(20):
        assert await check.up()
    assert rasa.probes == 1
    rasa.answers = False
    clock[0] += 16
    assert not await check.up()
    assert rasa.probes == 2
    assert check.last_known() == 0.0
    # The gateway's own successful call counts as a look: no probe needed.
    rasa.reachable, rasa.checked_at = True, clock[0] + 10
    clock[0] += 11
    assert await check.up()
    assert rasa.probes == 2


@pytest_asyncio.fixture
async def served() -> AsyncIterator[tuple[str, list[bool]]]:
    healthy = [True]

    async def health() -> Health:
        return judge(1.0 if healthy[0] else None, 90.0, True)

    metrics = GatewayMetrics(sources())
    runner, port = await serve(create_app(health, metrics.render), "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{port}", healthy
    finally:
        await runner.cleanup()


async def test_the_server_answers_health_and_metrics_only(
    served: tuple[str, list[bool]],
) -> None:
    base, healthy = served
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{base}/healthz") as response:
            assert response.status == 200
            assert (await response.json())["status"] == "ok"
            for header, value in SECURITY_HEADERS.items():
                assert response.headers[header] == value
            assert "Access-Control-Allow-Origin" not in response.headers
        healthy[0] = False
        async with session.get(f"{base}/healthz") as response:
            assert response.status == 503
            assert (await response.json())["reasons"] == ["not_synced_yet"]
        async with session.get(f"{base}/metrics") as response:
            assert response.status == 200
            assert response.headers["Content-Type"] == METRICS_CONTENT_TYPE
            parse(await response.text())
        for method, path in (("GET", "/"), ("GET", "/metrics/x"), ("POST", "/metrics")):
            async with session.request(method, f"{base}{path}") as response:
                assert response.status == 404
                assert response.headers["Cache-Control"] == "no-store"
        # A page from elsewhere that rebinds its name to 127.0.0.1 names itself as Host.
        async with session.get(f"{base}/metrics", headers={"Host": "evil.example"}) as response:
            assert response.status == 404
        async with session.get(f"{base}/healthz", headers={"Host": "localhost:1"}) as response:
            assert response.status == 503


async def test_the_rasa_client_notes_what_its_calls_and_probes_showed() -> None:
    app = web.Application()
    app.router.add_get("/", hello)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    client = RasaClient(f"http://127.0.0.1:{port}", "t" * 40, 5)
    try:
        assert client.reachable is None
        assert await client.probe()
        with pytest.raises(RasaUnavailable):
            await client.post_json("/missing", {})
        assert client.reachable is False
        assert await client.probe()
        await runner.cleanup()
        assert not await client.probe()
    finally:
        await client.close()
        await runner.cleanup()


async def hello(request: web.Request) -> web.Response:
    return web.Response(text="Hello from Rasa")
