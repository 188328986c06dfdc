"""One person's flood folds into their open case; notices are grouped by size."""

from __future__ import annotations

import json
from pathlib import Path
from typing import cast

from bot.config import EscalationConfig
from bot.core.model import Participant
from bot.escalation.batching import (
    MAX_MESSAGE_BYTES,
    combined_body,
    encoded_size,
    group_by_size,
)
from bot.escalation.desks import Desks
from bot.escalation.engine import EscalationEngine
from bot.escalation.store import EscalationStore
from bot.escalation.texts import notice_body
from bot.ids import MatrixUserId, ParticipantId
from bot.transports.port import Outbox
from bot.transports.traffic import Traffic
from safety.escalation.policy import EscalationPolicy
from safety.escalation.record import (
    Escalation,
    absorbs,
    acknowledge,
    close_on_deletion,
    further_message,
    open_escalation,
    resolve,
)
from safety.vault import Vault, load_or_create_key_file

POLICY = EscalationPolicy(ack_seconds={"imminent": 60, "high": 600, "handoff": 900})
HOUR = 3600.0
PERSON = Participant(
    pseudonym=ParticipantId("pabc"), matrix_id=MatrixUserId("@alice:x"), language="sv"
)


def opened(level: str = "high", now: float = 1000.0) -> Escalation:
    return open_escalation(
        code="E-ABCDEF",
        participant="p1",
        participant_code="P-ABCDEF",
        level=level,
        signals=("weapon",),
        quote="first",
        now=now,
        policy=POLICY,
    )


def test_a_message_as_serious_or_less_joins_the_open_case() -> None:
    esc = opened("imminent")
    assert absorbs(esc, "imminent", 1010.0, HOUR)
    assert absorbs(esc, "high", 1010.0, HOUR)
    assert absorbs(acknowledge(esc, "@m:x", 1005.0), "high", 1010.0, HOUR)


def test_a_more_serious_message_a_resolved_case_or_an_old_one_opens_a_new_case() -> None:
    assert not absorbs(opened("high"), "imminent", 1010.0, HOUR)
    assert not absorbs(resolve(opened("high"), "@m:x", 1005.0), "high", 1010.0, HOUR)
    assert not absorbs(opened("high"), "high", 1000.0 + 2 * HOUR, HOUR)
    assert not absorbs(opened("handoff"), "high", 1010.0, HOUR)  # a request, not risk
    assert not absorbs(opened("high"), "handoff", 1010.0, HOUR)


def test_further_messages_are_counted_and_paged_at_most_once_a_minute() -> None:
    esc = opened("high")
    first = further_message(esc, "second", 1010.0, 60.0)
    assert first.further == 1
    assert [(n.kind, n.quote) for n in first.unsent()][-1] == ("further", "second")
    assert first.unsent()[-1].roles == esc.paged
    flood = first
    for n in range(20):
        flood = further_message(flood, f"more {n}", 1011.0 + n, 60.0)
    assert flood.further == 21
    assert [n.kind for n in flood.outbox].count("further") == 1  # counted, not paged
    later = further_message(flood, "a minute on", 1071.0, 60.0)
    assert [n.kind for n in later.outbox].count("further") == 2
    body = notice_body(later, later.outbox[-1], ("@m:x",))
    assert "22 more messages" in body and "«a minute on»" in body


def test_records_written_before_further_messages_existed_still_load() -> None:
    record = opened().to_record()
    del record["further"], record["last_further_at"]
    for notice in record["outbox"]:
        del notice["quote"]
    esc = Escalation.from_record(json.loads(json.dumps(record)))
    assert esc.further == 0 and esc.outbox[0].quote is None
    folded = further_message(esc, "x", 2000.0, 60.0)
    assert Escalation.from_record(json.loads(json.dumps(folded.to_record()))) == folded


def test_emoji_quotes_are_split_across_messages_within_the_size_limit() -> None:
    # A quote of 400 emoji is 4,800 bytes as escaped JSON: twelve such pages are
    # far past what one encrypted event may carry.
    parts = [f"🔴 IMMINENT RISK · E-{n:06d}\nMessage: «{'😱' * 400}»" for n in range(12)]
    assert encoded_size(combined_body(parts)) > 48_000
    groups = group_by_size(parts)
    assert len(groups) > 1
    assert [i for group in groups for i in group] == list(range(12))  # order kept
    for group in groups:
        assert encoded_size(combined_body([parts[i] for i in group])) <= MAX_MESSAGE_BYTES


def test_small_notices_share_one_message_up_to_the_count() -> None:
    parts = [f"page {n}" for n in range(30)]
    assert [len(g) for g in group_by_size(parts, max_count=25)] == [25, 5]
    assert group_by_size([]) == []


def test_a_notice_too_large_alone_goes_alone() -> None:
    parts = ["small", "x" * 100, "small again"]
    assert group_by_size(parts, max_bytes=80) == [[0], [1], [2]]


def engine(tmp_path: Path) -> tuple[EscalationEngine, EscalationStore, Vault]:
    vault = Vault(tmp_path / "vault.db", load_or_create_key_file(tmp_path / "kek", create=True))
    store = EscalationStore(vault)
    config = EscalationConfig(
        on_call=("@jour:x",), supervisors=("@handledare:x",), quote_message=True, policy=POLICY
    )
    # raise_for only persists; the staff room and the sender are used by the dispatcher.
    desks = cast(Desks, None)
    sender = cast(Outbox, None)
    return EscalationEngine(config, store, desks, None, sender, Traffic()), store, vault


async def test_the_same_message_raises_nothing_twice(tmp_path: Path) -> None:
    escalations, store, vault = engine(tmp_path)
    try:
        first = escalations.raise_for(PERSON, "imminent", ("weapon",), "kniven", "$e1")
        # A failed intake replays the message: no second case, no further message.
        again = escalations.raise_for(PERSON, "imminent", ("weapon",), "kniven", "$e1")
        assert again.code == first.code
        assert again.further == 0
        later = escalations.raise_for(PERSON, "high", ("weapon",), "igen", "$e2")
        assert later.code == first.code and later.further == 1
        assert escalations.raise_for(PERSON, "high", ("weapon",), "igen", "$e2").further == 1
        assert len(store.all_of(PERSON.pseudonym)) == 1
    finally:
        vault.close()


def test_a_deletion_closes_the_case_and_says_why() -> None:
    closed = close_on_deletion(acknowledge(opened("imminent"), "@m:x", 1001.0), 1002.0)
    assert closed.state == "resolved" and closed.deadline is None
    notice = closed.unsent()[-1]
    assert notice.kind == "deleted"
    assert "data was deleted" in notice_body(closed, notice, ())
    assert close_on_deletion(closed, 1003.0) == closed  # once
