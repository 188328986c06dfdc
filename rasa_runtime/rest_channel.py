"""Rasa's REST channel, closed to everyone but the gateway, and silent about text.

Rasa's own ``RestInput`` has two faults for samtal:

- ``--auth-token`` guards only Rasa's HTTP API, not ``/webhooks/rest/webhook``:
  any local process could post as any sender (``/intent`` syntax included) and
  make the encrypted tracker store create keys and records for made-up owners;
- when a turn is cancelled (the gateway timed out or stopped mid-turn) or fails,
  it logs the participant's text at ERROR.

This channel keeps the same URL and answer, asks for the gateway's token (the
``token`` query parameter, as on Rasa's HTTP API, or a bearer header), and logs
only what kind of failure happened.

It also makes a turn idempotent. The gateway sends each message with its
digest of the event id as ``message_id``. If the gateway crashed after Rasa answered
but before it stored the answer, it sends the same message again; running it
again would move a check-in form on twice. So a message whose id the
conversation already holds is not run again: the answer Rasa gave then is
returned as it was.
"""

from __future__ import annotations

from asyncio import CancelledError
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.shared.core.events import BotUttered, UserUttered
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from rasa_runtime.tokens import presented_token, read_token, token_matches

# Under "rasa": Rasa sets that logger to INFO, the rest (its libraries) to ERROR.
structlogger = structlog.get_logger("rasa.samtal_rest")


class TokenRestInput(RestInput):
    def __init__(self, token: str) -> None:
        if not token:
            raise ValueError("the REST channel needs a token")
        self._token = token

    @classmethod
    def name(cls) -> str:
        return "rest"  # the gateway's URL stays /webhooks/rest/webhook

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> TokenRestInput:
        token_file = (credentials or {}).get("token_file")
        if not token_file:
            raise ValueError("credentials for the REST channel need token_file")
        return cls(read_token(str(token_file)))

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        webhook = Blueprint("samtal_rest_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not token_matches(presented_token(request), self._token):
                structlogger.warning("samtal.rest.refused", reason="token")
                return response.json({"error": "unauthorised"}, status=401)
            body = request.json if isinstance(request.json, dict) else {}
            sender = body.get("sender")
            text = body.get("message")
            if not isinstance(sender, str) or not sender or not isinstance(text, str):
                return response.json({"error": "sender and message are required"}, status=400)
            metadata = body.get("metadata")
            message_id = body.get("message_id")
            message_id = message_id if isinstance(message_id, str) and message_id else None
            if message_id is not None:
                earlier = await answered_before(request, sender, message_id)
                if earlier is not None:
                    structlogger.info("samtal.rest.turn_replayed")
                    return response.json(earlier)
            collector = CollectingOutputChannel()
            structlogger.info("samtal.rest.turn_started")  # no sender, no text
            try:
                await on_new_message(
                    UserMessage(
                        text,
                        collector,
                        sender,
                        input_channel=self.name(),
                        metadata=metadata if isinstance(metadata, dict) else None,
                        message_id=message_id,
                    )
                )
            except CancelledError:
                # The gateway went away mid-turn; it will retry. No text, no sender.
                structlogger.error("samtal.rest.turn_cancelled")
            except Exception as exc:  # logged by kind only, never with text
                structlogger.error("samtal.rest.turn_failed", error=type(exc).__name__)
            return response.json(collector.messages)

        return webhook


async def answered_before(
    request: Request, sender: str, message_id: str
) -> list[dict[str, Any]] | None:
    """What the bot answered to ``message_id`` in this conversation, or None if the
    conversation has no such message."""
    tracker = await request.app.ctx.agent.tracker_store.retrieve(sender)
    if tracker is None:
        return None
    answer: list[dict[str, Any]] | None = None
    for event in tracker.events:
        if isinstance(event, UserUttered):
            if answer is not None:
                break  # the next message: the answer is complete
            if event.message_id == message_id:
                answer = []
        elif answer is not None and isinstance(event, BotUttered):
            answer.append(
                {
                    key: value
                    for key, value in {
                        "recipient_id": sender,
                        "text": event.text,
                        "custom": event.data.get("custom"),
                    }.items()
                    if value is not None
                }
            )
    return answer
