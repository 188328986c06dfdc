"""The dialogue's safety properties hold in 1,000 randomised conversations.

(a) no check-in question before consent_given; (b) withdraw leads to
withdrawal from every state; (c) a risk intent or EXTERNAL_risk_detected leads
to the safety flow and a risk_flag from every state. Driven through the real
Rasa server and action server of the shared stack, over its HTTP API.
"""

from __future__ import annotations

import pytest

from bot.cli.audit_dialogues import dynamic_report
from safety.flow_audit import run_static_audit
from safety.flow_audit.report import dynamic_text, static_text
from tests.conftest import PROJECT, RunningStack

pytestmark = pytest.mark.integration

CONVERSATIONS = 1000
SEED = 20261121


async def test_a_thousand_random_conversations_keep_every_property(
    running_stack: RunningStack, capsys: pytest.CaptureFixture[str]
) -> None:
    static = run_static_audit(PROJECT)
    report = await dynamic_report(
        running_stack.stack.rasa_url,
        running_stack.stack.layout.read_secret("rasa.token"),
        CONVERSATIONS,
        SEED,
        project=PROJECT,
    )
    with capsys.disabled():
        print(f"\n{static_text(static)}\n{dynamic_text(report)}")
    assert static.violations == []
    assert report.errors == []
    assert report.conversations >= CONVERSATIONS
    assert report.violations == []
    # the probes really reached the states they must work from
    assert report.probes["withdraw"] > 300 and report.probes["risk"] > 400
    assert len(report.probe_states["risk"]) >= 15
    assert report.checkin_questions > 1000
