"""A turn cut off while it is being taken in is not lost.

Taking a turn in writes two records: its state and the inbox entry a restart
answers from. A SIGKILL between the two must not leave a turn that a replayed
message counts as already handled while no restart knows it is waiting.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.ids import EventId, MatrixUserId, ParticipantId, RoomId
from bot.state.turns import PendingTurn, TurnLedger
from safety.vault import Vault, load_or_create_key_file

TURN = PendingTurn(
    owner=ParticipantId("pabcdefghij"),
    event_id=EventId("$message"),
    sender=MatrixUserId("@p:x"),
    room_id=RoomId("!room:x"),
    text="hej",
    timestamp_ms=1,
    language="sv",
    level="none",
)


class _Killed(BaseException):
    """The process dying right after one write."""


def test_a_turn_killed_between_its_two_records_is_answered_after_the_restart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    vault = Vault(tmp_path / "vault.db", load_or_create_key_file(tmp_path / "kek", create=True))
    write = vault.put

    def first_write_then_killed(*args: Any) -> None:
        write(*args)
        raise _Killed

    monkeypatch.setattr(vault, "put", first_write_then_killed)
    with pytest.raises(_Killed):
        TurnLedger(vault).received(TURN)
    monkeypatch.undo()
    restarted = TurnLedger(vault)
    # Either the restart answers it from the inbox, or the replayed message is
    # taken in again because nothing says it was handled.
    resumed = restarted.pending() == [TURN]
    taken_in_again = restarted.get(TURN.owner, TURN.event_id) is None
    assert resumed or taken_in_again
