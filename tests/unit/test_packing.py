"""An answer's replies go as few messages as fit the transport, whole and in order."""

from __future__ import annotations

from bot.core.packing import SEPARATOR, pack


def test_short_replies_go_as_one_message_a_blank_line_apart() -> None:
    assert pack(("Hej!", "Här är texten.", "Vill du vara med?"), 4000) == (
        "Hej!\n\nHär är texten.\n\nVill du vara med?",
    )


def test_a_message_closes_when_the_next_reply_would_not_fit() -> None:
    first, second, third = "a" * 6, "b" * 6, "c" * 6
    # 6 + 2 + 6 = 14 fits a limit of 14; a third reply would make 22.
    assert pack((first, second, third), 14) == (first + SEPARATOR + second, third)
    assert pack((first, second, third), 13) == (first, second, third)


def test_no_reply_is_split_or_lost_and_order_is_kept() -> None:
    replies = tuple(f"r{i}-" + "x" * (i * 7 % 30) for i in range(40))
    messages = pack(replies, 60)
    assert SEPARATOR.join(messages) == SEPARATOR.join(replies)
    assert all(len(m) <= 60 for m in messages)


def test_a_reply_over_the_limit_stays_a_message_of_its_own() -> None:
    long = "x" * 50
    assert pack(("a", long, "b"), 20) == ("a", long, "b")


def test_nothing_to_send_is_no_message() -> None:
    assert pack((), 4000) == ()
