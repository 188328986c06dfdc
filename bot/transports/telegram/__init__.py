"""Telegram, opt-in: a bot in one-to-one chats, reached through the Bot API (aiogram)."""
