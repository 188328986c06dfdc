"""Webhook mode: Telegram posts each update to the gateway instead of being polled.

The gateway listens on loopback behind the TLS reverse proxy that serves
``webhook_url``. Telegram sends the secret given at ``setWebhook`` in the
``X-Telegram-Bot-Api-Secret-Token`` header; a request without it is refused, so
nobody who merely finds the URL can speak for a participant. An update whose
handler failed is answered 500, and Telegram delivers it again (the turn ledger
drops what was already answered).
"""

from __future__ import annotations

import asyncio
import base64
import hmac
from urllib.parse import urlparse

from aiogram import Bot
from aiogram.types import Update
from aiohttp import web
from pydantic import ValidationError

from bot import logs
from bot.transports.telegram.poller import ALLOWED_UPDATES, Handler
from safety.vault import Vault

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header's name)


def webhook_secret(vault: Vault) -> str:
    """Stable across restarts and KEK rotations; Telegram allows [A-Za-z0-9_-], 1-256."""
    key = vault.derived_key("samtal:telegram-webhook-secret:v1")
    return base64.urlsafe_b64encode(key).decode("ascii").rstrip("=")


def webhook_app(secret: str, handler: Handler, path: str = "/") -> web.Application:
    # One update at a time, in the order they came: a message and its edit, or a
    # /start and the next message, must not be taken in side by side.
    one_at_a_time = asyncio.Lock()

    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            logs.warning("telegram_webhook_refused", reason="secret")
            return web.Response(status=401)
        try:
            update = Update.model_validate(await request.json())
        except (ValueError, ValidationError):
            logs.warning("telegram_webhook_refused", reason="malformed")
            return web.Response(status=400)
        try:
            async with one_at_a_time:
                await handler([update])
        except Exception as exc:  # Telegram delivers it again
            logs.warning("telegram_batch_failed", error=type(exc).__name__, updates=1)
            return web.Response(status=500)
        logs.event("telegram_batch", updates=1)
        return web.Response(status=200)

    app = web.Application()
    app.router.add_post(path, receive)
    return app


async def start_webhook(
    bot: Bot, url: str, port: int, secret: str, handler: Handler, *, host: str = "127.0.0.1"
) -> web.AppRunner:
    """Listen, then tell Telegram where to post. Clean up with ``runner.cleanup()``."""
    runner = web.AppRunner(webhook_app(secret, handler, urlparse(url).path or "/"))
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    # One connection: Telegram then sends the next update only after this one was
    # answered, so updates arrive in order.
    await bot.set_webhook(
        url, secret_token=secret, allowed_updates=ALLOWED_UPDATES, max_connections=1
    )
    logs.event("telegram_webhook_set")
    return runner
