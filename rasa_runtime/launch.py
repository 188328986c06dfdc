"""Start Rasa with telemetry and outside error reporting switched off.

Rasa's ``initialize_error_reporting`` runs even when telemetry is disabled and
ships a Sentry key. This launcher replaces it with a no-op before Rasa's own
entry point runs, so no exception (and no message text inside one) ever leaves
the machine. Rasa logs message text at DEBUG, so its log level is fixed here and
never taken from an inherited ``LOG_LEVEL``. The action server asks for a token
(``--auth-token-file``, read here) on every request but its health check.
Usage: ``python -m rasa_runtime.launch <rasa arguments>``.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

from rasa_runtime.tokens import presented_token, read_token, token_matches

# Rasa's own logs at DEBUG carry the participant's text; INFO and above do not.
RASA_LOG_LEVEL = "INFO"
LIBRARY_LOG_LEVEL = "ERROR"


def _neutralise_reporting() -> None:
    os.environ["RASA_TELEMETRY_ENABLED"] = "false"
    os.environ.pop("RASA_EXCEPTION_WRITE_KEY", None)
    os.environ.pop("RASA_TELEMETRY_WRITE_KEY", None)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ["LOG_LEVEL"] = RASA_LOG_LEVEL
    os.environ["LOG_LEVEL_LIBRARIES"] = LIBRARY_LOG_LEVEL

    import rasa.telemetry
    import sentry_sdk

    def _disabled(*_args: object, **_kwargs: object) -> None:
        return None

    rasa.telemetry.initialize_error_reporting = _disabled
    rasa.telemetry.initialize_telemetry = _disabled
    rasa.telemetry.is_telemetry_enabled = lambda: False
    sentry_sdk.init = _disabled


def _cache_action_result_schema() -> None:
    """Validate action server replies with one cached validator.

    Rasa 3.6 calls ``jsonschema.validate`` on every reply, which re-checks
    Rasa's own schema against the metaschema each time (about 56 ms per
    custom action call here, with jsonschema 4.17). Same checks, built once.
    """
    import jsonschema
    from rasa.core.actions.action import RemoteAction

    built: list[jsonschema.protocols.Validator] = []

    def _validate(self: RemoteAction, result: dict[str, object]) -> bool:
        if not built:
            spec = self.action_response_format_spec()
            cls = jsonschema.validators.validator_for(spec)
            cls.check_schema(spec)
            built.append(cls(spec))
        error = jsonschema.exceptions.best_match(built[0].iter_errors(result))
        if error is not None:
            raise error
        return True

    RemoteAction._validate_action_result = _validate  # type: ignore[method-assign]


def _with_token_from_file(argv: list[str]) -> list[str]:
    """Turn ``--auth-token-file PATH`` into ``--auth-token`` inside the process.

    The token then never appears on a command line that ``ps`` can show.
    """
    if "--auth-token-file" not in argv:
        return argv
    at = argv.index("--auth-token-file")
    with open(argv[at + 1], encoding="utf-8") as handle:
        token = handle.read().strip()
    # One argument: a token may begin with "-", which argparse would take for an option.
    return [*argv[:at], f"--auth-token={token}", *argv[at + 2 :]]


def _without_verbosity(argv: list[str]) -> list[str]:
    """Drop ``-v``/``-vv``/``--debug``/``--verbose``: they would log message text."""
    return [a for a in argv if a not in {"-v", "-vv", "--verbose", "--debug"}]


def _action_server_token(argv: list[str]) -> tuple[list[str], str | None]:
    if "--auth-token-file" not in argv:
        return argv, None
    at = argv.index("--auth-token-file")
    return [*argv[:at], *argv[at + 2 :]], read_token(argv[at + 1])


def _guard_action_server(token: str) -> None:
    """Every request but the health check needs the token; failures are logged
    by kind only and answered without echoing the request (which holds the tracker)."""
    import rasa_sdk.endpoint as endpoint
    from sanic import response

    build = endpoint.create_app
    log = logging.getLogger("rasa_runtime.actions")

    def create_app(*args: Any, **kwargs: Any) -> Any:
        app = build(*args, **kwargs)

        @app.middleware("request")
        async def require_token(request: Any) -> Any:
            if request.path == "/health":
                return None
            if not token_matches(presented_token(request), token):
                log.warning("action server request refused: no valid token")
                return response.json({"error": "unauthorised"}, status=401)
            return None

        @app.exception(Exception)
        async def failed(_request: Any, exception: Exception) -> Any:
            log.error("action failed: %s", type(exception).__name__)
            return response.json({"error": "action failed"}, status=500)

        return app

    endpoint.create_app = create_app


def main() -> None:
    _neutralise_reporting()
    _cache_action_result_schema()
    from rasa.__main__ import main as rasa_main

    argv = _without_verbosity(sys.argv[1:])
    if argv[:2] == ["run", "actions"]:
        argv, token = _action_server_token(argv)
        if token is not None:
            _guard_action_server(token)
    sys.argv = ["rasa", *_with_token_from_file(argv)]
    rasa_main()


if __name__ == "__main__":
    main()
