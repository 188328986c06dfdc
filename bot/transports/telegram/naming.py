"""The bot's username, for enrolment links: asked of Telegram once, when a link is made."""

from __future__ import annotations

from aiogram.exceptions import TelegramAPIError

from bot import logs
from bot.transports.telegram.client import make_bot
from bot.transports.telegram.settings import TelegramSettings, read_token


async def bot_username(settings: TelegramSettings) -> str | None:
    """None when Telegram cannot be asked now; the code works without a link."""
    bot = make_bot(read_token(settings), settings.api_url)
    try:
        me = await bot.get_me()
    except TelegramAPIError as exc:
        logs.warning("telegram_name_unknown", error=type(exc).__name__)
        return None
    finally:
        await bot.session.close()
    return me.username
