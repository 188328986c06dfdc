from __future__ import annotations

from bot.core.commands import Command, Invalid, parse_command


def test_ordinary_chat_is_not_a_command() -> None:
    assert parse_command("good morning all") is None


def test_ack_resolve_take_release() -> None:
    assert parse_command("!ack e-7k3q2a") == Command("ack", "E-7K3Q2A")
    assert parse_command("!resolve E-7K3Q2A called, safe now") == Command(
        "resolve", "E-7K3Q2A", "called, safe now"
    )
    assert parse_command("!take P-ABC234") == Command("take", "P-ABC234")
    assert parse_command("!release P-ABC234") == Command("release", "P-ABC234")
    assert parse_command("!help") == Command("help")


def test_wrong_code_kind_is_explained() -> None:
    result = parse_command("!take E-7K3Q2A")
    assert isinstance(result, Invalid)
    assert "P-" in result.reason


def test_missing_code_and_unknown_verbs_are_explained() -> None:
    assert isinstance(parse_command("!ack"), Invalid)
    assert isinstance(parse_command("!delete everything"), Invalid)


def test_trust_takes_a_key_code() -> None:
    assert parse_command("!trust k-7k3q2a") == Command("trust", "K-7K3Q2A")
    wrong = parse_command("!trust P-7K3Q2A")
    assert isinstance(wrong, Invalid)
    assert "K-" in wrong.reason
    assert isinstance(parse_command("!ack K-7K3Q2A"), Invalid)
