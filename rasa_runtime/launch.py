"""Start Rasa with telemetry and outside error reporting switched off.

Rasa's ``initialize_error_reporting`` runs even when telemetry is disabled and
ships a Sentry key. This launcher replaces it with a no-op before Rasa's own
entry point runs, so no exception (and no message text inside one) ever leaves
the machine. Usage: ``python -m rasa_runtime.launch <rasa arguments>``.
"""

from __future__ import annotations

import os
import sys


def _neutralise_reporting() -> None:
    os.environ["RASA_TELEMETRY_ENABLED"] = "false"
    os.environ.pop("RASA_EXCEPTION_WRITE_KEY", None)
    os.environ.pop("RASA_TELEMETRY_WRITE_KEY", None)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

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


def main() -> None:
    _neutralise_reporting()
    _cache_action_result_schema()
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *_with_token_from_file(sys.argv[1:])]
    rasa_main()


if __name__ == "__main__":
    main()
