"""The chaos harness, short: three participants write forty messages while the
gateway is killed with SIGKILL five times and Rasa is restarted once. Nothing is
lost or answered twice, every risk message is paged once and acknowledged, the
audit chain verifies and no text reaches a log (bench/chaos.py; `make chaos` runs
the full size)."""

from __future__ import annotations

import pytest

from bench.chaos import Chaos, Mediator, Person, Sizes
from bot.launcher.stack import DEMO_MEDIATOR, user_id
from tests.conftest import RunningStack, Staff

pytestmark = pytest.mark.integration

SHORT = Sizes(
    participants=3,
    messages=40,
    kills=5,
    rasa_restarts=1,
    action_server_restarts=0,
    homeserver_restarts=0,
    kill_gap_s=(1.0, 6.0),
    drain_s=120.0,
)


async def test_kills_and_restarts_lose_nothing_and_double_nothing(
    running_stack: RunningStack, staff: Staff
) -> None:
    people = []
    try:
        for _ in range(SHORT.participants):
            client = await running_stack.new_client(
                "chaos", enroll_language="sv", mediator=user_id(DEMO_MEDIATOR)
            )
            room = await client.open_chat(running_stack.bot_user_id)
            people.append(Person(client, room, str(client.client.user_id)))
        chaos = Chaos(
            running_stack.stack,
            people,
            Mediator(staff.mediator, staff.desk(staff.mediator)),
            SHORT,
            seed=14,
        )
        figures = await chaos.run()
        print("\n".join(figures.lines()))
        assert figures.kills == SHORT.kills
        assert figures.restarts["rasa"] == 1
        assert figures.problems() == []
        assert figures.sent["high"] and figures.sent["imminent"]
    finally:
        for person in people:
            await person.client.stop()
        # The stack stays as the next tests expect it: every child running.
        gateway = running_stack.stack.gateway
        if gateway is None or not gateway.running:
            await running_stack.stack.start_gateway()
