"""The aiogram ``Bot`` the transport and the poller share."""

from __future__ import annotations

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import PRODUCTION, TelegramAPIServer


def make_bot(token: str, api_url: str | None = None) -> Bot:
    """A bot on Telegram's cloud, or on the Bot API server at ``api_url``.

    Defaults make every message plain text (no Markdown or HTML, so nothing in a
    reply can turn into a link or formatting) without link previews (a preview
    makes Telegram's servers fetch the link).
    """
    server = PRODUCTION if api_url is None else TelegramAPIServer.from_base(api_url)
    return Bot(
        token,
        session=AiohttpSession(api=server),
        default=DefaultBotProperties(parse_mode=None, link_preview_is_disabled=True),
    )
