"""A local Telegram Bot API server for tests: Telegram's cloud cannot be reached here.

It speaks the Bot API's JSON shapes (``{"ok": true, "result": ...}`` or
``{"ok": false, "error_code": N, "description": ..., "parameters": {...}}``) for
the methods the gateway calls, at ``/bot<token>/<method>`` as Telegram does, and
answers a wrong token with 401. Tests drive it from Python: people write to the
bot, block it, edit messages; the next call to a method can be made to fail; the
clock that dates messages can be moved on.
"""

from __future__ import annotations

import asyncio
import hmac
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import ClientSession, web

FORTY_EIGHT_HOURS = 48 * 3600
_HTTP_ERRORS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    429: "Too Many Requests",
    500: "Internal Server Error",
}

# Parameters that are text even when they look like a number or JSON.
_TEXT_FIELDS = frozenset({"text", "url", "secret_token", "action", "parse_mode", "caption"})


class _Refusal(Exception):
    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after


@dataclass
class SentMessage:
    """One message the bot sent, as the fake keeps it."""

    message_id: int
    chat_id: int
    text: str
    date: int
    parse_mode: str | None
    link_preview_disabled: bool
    deleted: bool = False


@dataclass
class _Failure:
    status: int
    description: str
    retry_after: int | None
    after: int = 0  # calls let through first


@dataclass
class _Chat:
    user: dict[str, Any]
    next_message_id: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    blocked: bool = False


class FakeTelegram:
    """The Bot API for one bot, on 127.0.0.1 at a random port."""

    def __init__(self, token: str, *, bot_username: str = "samtal_test_bot") -> None:
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_username = bot_username
        # Message dates come from this clock; tests move it with `advance`.
        self.now = float(int(time.time()))
        self.calls: list[str] = []  # every method called, in order, refused ones included
        self.chat_actions: list[tuple[int, str]] = []
        self.webhook_url = ""
        self.webhook_secret: str | None = None
        self.webhook_allowed_updates: list[str] | None = None
        self.get_updates_params: list[dict[str, Any]] = []
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(100)
        self._chats: dict[int, _Chat] = {}
        self._sent: dict[int, list[SentMessage]] = {}
        # What people wrote in private chats: a bot may delete those too, for 48 h.
        self._received: dict[int, list[SentMessage]] = {}
        self._failures: dict[str, list[_Failure]] = {}
        self._group_ids = itertools.count(1)
        self._arrival = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # -- the server ----------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("POST", "/{path:.*}", self._serve)
        app.router.add_route("GET", "/{path:.*}", self._serve)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.port = int(self._runner.addresses[0][1])

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _serve(self, request: web.Request) -> web.Response:
        prefix, _, method = request.match_info["path"].partition("/")
        if not prefix.startswith("bot") or not hmac.compare_digest(prefix[3:], self.token):
            return _error(401, "Unauthorized")
        params = await _params(request)
        name = method.lower()
        self.calls.append(name)
        try:
            self._maybe_fail(name)
            handler = self._methods().get(name)
            if handler is None:
                raise _Refusal(404, "Not Found")
            result = await handler(params)
        except _Refusal as refusal:
            return _error(refusal.status, refusal.description, refusal.retry_after)
        return web.json_response({"ok": True, "result": result})

    def _methods(self) -> dict[str, Any]:
        return {
            "getme": self._get_me,
            "getupdates": self._get_updates,
            "sendmessage": self._send_message,
            "deletemessage": self._delete_message,
            "sendchataction": self._send_chat_action,
            "setwebhook": self._set_webhook,
            "deletewebhook": self._delete_webhook,
            "getwebhookinfo": self._get_webhook_info,
        }

    def _maybe_fail(self, name: str) -> None:
        queued = self._failures.get(name)
        if queued:
            failure = queued[0]
            if failure.after > 0:
                failure.after -= 1
                return
            queued.pop(0)
            raise _Refusal(failure.status, failure.description, failure.retry_after)

    # -- methods ---------------------------------------------------------------

    async def _get_me(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "Samtal",
            "username": self.bot_username,
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook_url:
            raise _Refusal(
                409,
                "Conflict: can't use getUpdates method while webhook is active;"
                " use deleteWebhook to delete the webhook first",
            )
        self.get_updates_params.append(dict(params))
        offset = _int(params.get("offset"), 0)
        limit = max(1, min(100, _int(params.get("limit"), 100)))
        timeout = max(0, _int(params.get("timeout"), 0))
        allowed = params.get("allowed_updates")
        self._confirm(offset)
        # Long polling: an empty answer only once the timeout has passed.
        deadline = asyncio.get_running_loop().time() + timeout
        while not self._pending(offset, allowed):
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                break
            self._arrival.clear()
            try:
                await asyncio.wait_for(self._arrival.wait(), left)
            except TimeoutError:
                break
        return self._pending(offset, allowed)[:limit]

    def _confirm(self, offset: int) -> None:
        """Telegram forgets every update below a positive offset; a negative one
        keeps only the last ``-offset`` updates."""
        if offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif offset < 0:
            self._updates = self._updates[offset:]

    def _pending(self, offset: int, allowed: Any) -> list[dict[str, Any]]:
        wanted = set(allowed) if isinstance(allowed, list) and allowed else None
        return [
            u
            for u in self._updates
            if u["update_id"] >= offset and (wanted is None or wanted & set(u) - {"update_id"})
        ]

    async def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._reachable(params)
        text = params.get("text")
        if not isinstance(text, str) or not text:
            raise _Refusal(400, "Bad Request: message text is empty")
        if len(text) > 4096:
            raise _Refusal(400, "Bad Request: message is too long")
        preview = params.get("link_preview_options")
        disabled = isinstance(preview, dict) and preview.get("is_disabled") is True
        if params.get("disable_web_page_preview") is True:
            disabled = True
        chat_id = chat.user["id"]
        message = SentMessage(
            message_id=next(chat.next_message_id),
            chat_id=chat_id,
            text=text,
            date=int(self.now),
            parse_mode=params.get("parse_mode"),
            link_preview_disabled=disabled,
        )
        self._sent.setdefault(chat_id, []).append(message)
        return {
            "message_id": message.message_id,
            "date": message.date,
            "chat": {"id": chat_id, "type": "private", "first_name": chat.user["first_name"]},
            "from": {
                "id": self.bot_id,
                "is_bot": True,
                "first_name": "Samtal",
                "username": self.bot_username,
            },
            "text": text,
        }

    async def _delete_message(self, params: dict[str, Any]) -> bool:
        chat_id = _int(params.get("chat_id"), 0)
        message_id = _int(params.get("message_id"), 0)
        in_chat = self._sent.get(chat_id, []) + self._received.get(chat_id, [])
        for message in in_chat:
            if message.message_id == message_id and not message.deleted:
                if self.now - message.date > FORTY_EIGHT_HOURS:
                    raise _Refusal(400, "Bad Request: message can't be deleted for everyone")
                message.deleted = True
                return True
        raise _Refusal(400, "Bad Request: message to delete not found")

    async def _send_chat_action(self, params: dict[str, Any]) -> bool:
        chat = self._reachable(params)
        action = params.get("action")
        if not isinstance(action, str):
            raise _Refusal(400, "Bad Request: wrong parameter action in request")
        self.chat_actions.append((chat.user["id"], action))
        return True

    async def _set_webhook(self, params: dict[str, Any]) -> bool:
        url = params.get("url")
        if not isinstance(url, str) or not url.startswith("https://"):
            raise _Refusal(400, "Bad Request: bad webhook: An HTTPS URL must be provided")
        self.webhook_url = url
        self.webhook_secret = params.get("secret_token")
        allowed = params.get("allowed_updates")
        self.webhook_allowed_updates = allowed if isinstance(allowed, list) else None
        return True

    async def _delete_webhook(self, params: dict[str, Any]) -> bool:
        self.webhook_url = ""
        self.webhook_secret = None
        if params.get("drop_pending_updates") is True:
            self._updates.clear()
        return True

    async def _get_webhook_info(self, params: dict[str, Any]) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self.webhook_allowed_updates is not None:
            info["allowed_updates"] = self.webhook_allowed_updates
        return info

    def _reachable(self, params: dict[str, Any]) -> _Chat:
        chat_id = _int(params.get("chat_id"), 0)
        chat = self._chats.get(chat_id)
        if chat is None:
            if chat_id > 0:
                raise _Refusal(403, "Forbidden: bot can't initiate conversation with a user")
            raise _Refusal(400, "Bad Request: chat not found")
        if chat.blocked:
            raise _Refusal(403, "Forbidden: bot was blocked by the user")
        return chat

    # -- what tests do -----------------------------------------------------------

    def user_says(
        self,
        user_id: int,
        text: str,
        username: str | None = None,
        *,
        first_name: str = "Deltagare",
        chat_type: str = "private",
        chat_id: int | None = None,
    ) -> dict[str, Any]:
        """A person writes to the bot; returns the update Telegram will deliver."""
        return self._user_message(user_id, {"text": text}, username, first_name, chat_type, chat_id)

    def user_sends_photo(self, user_id: int, caption: str | None = None) -> dict[str, Any]:
        photo = [
            {"file_id": "AgADphoto-s", "file_unique_id": "ph-s", "width": 90, "height": 90},
            {"file_id": "AgADphoto-m", "file_unique_id": "ph-m", "width": 800, "height": 800},
        ]
        content: dict[str, Any] = {"photo": photo}
        if caption is not None:
            content["caption"] = caption
        return self.user_sends(user_id, content)

    def user_sends_voice(self, user_id: int) -> dict[str, Any]:
        voice = {"file_id": "AwADvoice", "file_unique_id": "vo", "duration": 3}
        return self.user_sends(user_id, {"voice": voice, "mime_type": "audio/ogg"})

    def user_sends_location(
        self, user_id: int, latitude: float = 59.3293, longitude: float = 18.0686
    ) -> dict[str, Any]:
        where = {"latitude": latitude, "longitude": longitude}
        return self.user_sends(user_id, {"location": where})

    def user_sends_sticker(self, user_id: int) -> dict[str, Any]:
        sticker = {
            "file_id": "CAADsticker",
            "file_unique_id": "st",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        }
        return self.user_sends(user_id, {"sticker": sticker})

    def user_sends(
        self, user_id: int, content: dict[str, Any], username: str | None = None
    ) -> dict[str, Any]:
        """Anything a message may carry: ``{"document": {...}}``, ``{"poll": {...}}``…"""
        return self._user_message(user_id, content, username, "Deltagare", "private", None)

    def edit(self, update: dict[str, Any], text: str) -> dict[str, Any]:
        """The person edits the message ``update`` carried."""
        original = update["message"]
        edited = {**original, "text": text, "edit_date": int(self.now)}
        return self._queue({"edited_message": edited})

    def block(self, user_id: int) -> None:
        self._chat(user_id, None, "Deltagare").blocked = True

    def unblock(self, user_id: int) -> None:
        self._chat(user_id, None, "Deltagare").blocked = False

    def fail_next(
        self,
        method: str,
        status: int,
        *,
        retry_after: int | None = None,
        description: str | None = None,
        after: int = 0,
    ) -> None:
        """The next call to ``method`` (``sendMessage``…) is refused with ``status``;
        with ``after``, the call that many calls later."""
        text = description or _HTTP_ERRORS.get(status, "Error")
        if status == 429 and description is None:
            text = f"Too Many Requests: retry after {retry_after}"
        failure = _Failure(status, text, retry_after, after)
        self._failures.setdefault(method.lower(), []).append(failure)

    def sent(self, chat_id: int) -> list[SentMessage]:
        """What the bot sent into a chat, deleted messages included (marked)."""
        return list(self._sent.get(chat_id, []))

    def received(self, chat_id: int) -> list[SentMessage]:
        """What the person wrote in their chat with the bot, deleted ones marked."""
        return list(self._received.get(chat_id, []))

    def attempts(self, method: str) -> int:
        return self.calls.count(method.lower())

    def advance(self, seconds: float) -> None:
        """Move the clock on: messages sent before now look this much older."""
        self.now += seconds

    @property
    def pending(self) -> list[dict[str, Any]]:
        """Updates Telegram still holds (not yet confirmed by an offset)."""
        return list(self._updates)

    async def push_webhook(self, to: str | None = None) -> int:
        """Deliver held updates to the webhook as Telegram does (or to ``to``, where
        the webhook's https address is served by a proxy the test does not have);
        returns how many were accepted (a refused one stays held and stops it)."""
        delivered = 0
        headers = {}
        if self.webhook_secret:
            headers["X-Telegram-Bot-Api-Secret-Token"] = self.webhook_secret
        async with ClientSession() as session:
            while self._updates:
                update = self._updates[0]
                target = to or self.webhook_url
                async with session.post(target, json=update, headers=headers) as resp:
                    if resp.status >= 300:
                        return delivered
                self._updates.pop(0)
                delivered += 1
        return delivered

    # -- internals ------------------------------------------------------------------

    def _chat(self, user_id: int, username: str | None, first_name: str) -> _Chat:
        chat = self._chats.get(user_id)
        if chat is None:
            user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
            if username is not None:
                user["username"] = username
            chat = _Chat(user=user)
            self._chats[user_id] = chat
        return chat

    def _user_message(
        self,
        user_id: int,
        content: dict[str, Any],
        username: str | None,
        first_name: str,
        chat_type: str,
        chat_id: int | None,
    ) -> dict[str, Any]:
        person = self._chat(user_id, username, first_name)
        if chat_type == "private":
            chat: dict[str, Any] = {"id": user_id, "type": "private", "first_name": first_name}
            if username is not None:
                chat["username"] = username
            message_id = next(person.next_message_id)
            text = content.get("text")
            self._received.setdefault(user_id, []).append(
                SentMessage(
                    message_id=message_id,
                    chat_id=user_id,
                    text=text if isinstance(text, str) else "",
                    date=int(self.now),
                    parse_mode=None,
                    link_preview_disabled=False,
                )
            )
        else:
            chat = {"id": chat_id if chat_id is not None else -1000 - user_id, "type": chat_type}
            chat["title"] = "Grupp"
            message_id = next(self._group_ids)
        message = {
            "message_id": message_id,
            "from": person.user,
            "chat": chat,
            "date": int(self.now),
            **content,
        }
        return self._queue({"message": message})

    def _queue(self, body: dict[str, Any]) -> dict[str, Any]:
        update = {"update_id": next(self._update_ids), **body}
        self._updates.append(update)
        self._arrival.set()
        return update


async def _params(request: web.Request) -> dict[str, Any]:
    """Parameters as Telegram reads them: query string, JSON body or form fields,
    each form value that is JSON (lists, objects, numbers, booleans) decoded."""
    found: dict[str, Any] = dict(request.query)
    if request.content_type == "application/json":
        body = await request.json()
        if isinstance(body, dict):
            found.update(body)
        return found
    if request.can_read_body:
        form = await request.post()
        found.update((k, v) for k, v in form.items() if isinstance(v, str))
    return {k: _decoded(k, v) for k, v in found.items()}


def _decoded(key: str, value: Any) -> Any:
    if not isinstance(value, str) or key in _TEXT_FIELDS:
        return value
    if value[:1] in "[{" or value in ("true", "false") or value.lstrip("-").isdigit():
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _int(value: Any, default: int) -> int:
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    return default


def _error(status: int, description: str, retry_after: int | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return web.json_response(body, status=status)
