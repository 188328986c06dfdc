"""The Element benchmark's verdicts hold each figure to its target's limit, and a
figure is only taken from messages Element could read."""

from __future__ import annotations

import pytest

from bench.element import (
    arrivals_of,
    burst_verdict,
    crowd_reply_verdict,
    escalation_verdict,
    reply_verdict,
)
from tests.support.element import Message, Received


def test_first_reply_may_take_a_fifth_more_than_echo_and_rasa_together() -> None:
    assert reply_verdict(240, echo_p50=120, rasa_p50=80).met
    assert reply_verdict(241, echo_p50=120, rasa_p50=80).limit_ms == pytest.approx(240)
    assert not reply_verdict(241, echo_p50=120, rasa_p50=80).met


def test_a_multi_message_answer_is_judged_by_its_slowest_spread() -> None:
    assert burst_verdict([10, 400, 1000]).met
    slow = burst_verdict([10, 1001, 20])
    assert not slow.met
    assert slow.measured_ms == 1001


def test_escalation_p99_may_exceed_the_echo_floor_by_a_fifth() -> None:
    assert escalation_verdict(1200, echo_p99=1000).met
    assert not escalation_verdict(1201, echo_p99=1000).met


def test_one_slow_participant_fails_the_crowd_reply_target() -> None:
    assert crowd_reply_verdict([100, 1999, 2000], echo_p99=1000).met
    assert not crowd_reply_verdict([100, 2001, 50], echo_p99=1000).met


def test_a_verdict_says_whether_it_is_met() -> None:
    assert str(escalation_verdict(900, echo_p99=1000)).endswith("→ met")
    assert str(escalation_verdict(1300, echo_p99=1000)).endswith("→ NOT met")


def test_a_message_element_could_not_decrypt_stops_the_figure() -> None:
    readable = Message("$a", "@samtal:localhost", "hej", "m.notice", None, None, 12.5)
    earlier = Message("$b", "@samtal:localhost", "hej", "m.notice", None, None, 12.0)
    assert arrivals_of(Received([readable, earlier], [], 2)) == [12.0, 12.5]
    with pytest.raises(RuntimeError, match="could not decrypt 1"):
        arrivals_of(Received([readable], [{"event_id": "$c"}], 2))
    with pytest.raises(RuntimeError, match="arrival time"):
        arrivals_of(Received([Message("$d", "@samtal:localhost", "", "", None, None)], [], 1))
