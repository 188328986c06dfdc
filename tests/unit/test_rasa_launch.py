"""The Rasa token is read from its file and handed over as one argument."""

from __future__ import annotations

import argparse
from pathlib import Path

from rasa_runtime.launch import _with_token_from_file


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
