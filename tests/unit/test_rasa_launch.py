"""Tokens for Rasa and the action server, and the flags that would log text."""

from __future__ import annotations

import argparse
from pathlib import Path
from types import SimpleNamespace

import pytest

from rasa_runtime.launch import _action_server_token, _with_token_from_file, _without_verbosity
from rasa_runtime.tokens import presented_token, read_token, token_matches


def test_a_token_beginning_with_a_dash_survives_argument_parsing(tmp_path: Path) -> None:
    token_file = tmp_path / "rasa.token"
    token_file.write_text("-Xy_3token-that-starts-with-a-dash\n")
    argv = _with_token_from_file(["run", "--auth-token-file", str(token_file), "--port", "5005"])
    assert str(token_file) not in argv
    # Rasa's own parser declares the option as -t/--auth-token.
    parser = argparse.ArgumentParser()
    parser.add_argument("command")
    parser.add_argument("-t", "--auth-token")
    parser.add_argument("--port")
    parsed = parser.parse_args(argv)
    assert parsed.auth_token == "-Xy_3token-that-starts-with-a-dash"
    assert parsed.port == "5005"


def test_verbosity_flags_that_would_log_message_text_are_dropped() -> None:
    argv = ["run", "--debug", "-vv", "--port", "5005", "-v", "--verbose"]
    assert _without_verbosity(argv) == ["run", "--port", "5005"]


def test_the_action_server_token_is_taken_out_of_the_arguments(tmp_path: Path) -> None:
    token_file = tmp_path / "actions.token"
    token_file.write_text("s3cret\n")
    argv, token = _action_server_token(
        ["run", "actions", "--auth-token-file", str(token_file), "--port", "5055"]
    )
    assert token == "s3cret"
    assert argv == ["run", "actions", "--port", "5055"]  # rasa-sdk has no such option
    assert _action_server_token(["run", "actions"]) == (["run", "actions"], None)


def test_an_empty_token_file_is_refused(tmp_path: Path) -> None:
    token_file = tmp_path / "actions.token"
    token_file.write_text("\n")
    with pytest.raises(ValueError, match="empty token"):
        read_token(str(token_file))


@pytest.mark.parametrize(
    ("presented", "expected", "accepted"),
    [("abc", "abc", True), ("abd", "abc", False), ("", "abc", False), ("", "", False)],
)
def test_token_check(presented: str, expected: str, accepted: bool) -> None:
    assert token_matches(presented, expected) is accepted


def test_a_bearer_header_or_the_token_parameter_is_read() -> None:
    bearer = SimpleNamespace(headers={"Authorization": "Bearer t1"}, args={"token": "t2"})
    param = SimpleNamespace(headers={}, args={"token": "t2"})
    neither = SimpleNamespace(headers={}, args={})
    assert presented_token(bearer) == "t1"
    assert presented_token(param) == "t2"
    assert presented_token(neither) == ""
