"""The fake Bot API keeps Telegram's rules, or the other tests prove nothing."""

from __future__ import annotations

from typing import Any

from aiohttp import ClientSession

from tests.support.fake_telegram import FakeTelegram
from tests.unit.transports.telegram.common import TOKEN

USER = 1234567


async def call(fake: FakeTelegram, method: str, token: str = TOKEN, **params: Any) -> Any:
    async with ClientSession() as session:
        async with session.post(f"{fake.url}/bot{token}/{method}", json=params) as resp:
            body = await resp.json()
            assert (resp.status == 200) == body["ok"]
            return body


async def test_a_wrong_token_is_unauthorised(fake: FakeTelegram) -> None:
    body = await call(fake, "getMe", token=TOKEN[:-1] + "x")
    assert body == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    assert fake.calls == []


async def test_get_me_describes_the_bot(fake: FakeTelegram) -> None:
    body = await call(fake, "getMe")
    assert body["result"]["id"] == int(TOKEN.split(":")[0])
    assert body["result"]["is_bot"] is True


async def test_an_offset_confirms_and_forgets_earlier_updates(fake: FakeTelegram) -> None:
    ids = [fake.user_says(USER, str(n))["update_id"] for n in range(4)]
    first = await call(fake, "getUpdates", limit=2)
    assert [u["update_id"] for u in first["result"]] == ids[:2]
    again = await call(fake, "getUpdates")
    assert [u["update_id"] for u in again["result"]] == ids  # nothing confirmed yet
    rest = await call(fake, "getUpdates", offset=ids[2])
    assert [u["update_id"] for u in rest["result"]] == ids[2:]
    assert [u["update_id"] for u in fake.pending] == ids[2:]
    last = await call(fake, "getUpdates", offset=-1)
    assert [u["update_id"] for u in last["result"]] == ids[3:]


async def test_allowed_updates_filter_what_is_delivered(fake: FakeTelegram) -> None:
    update = fake.user_says(USER, "hej")
    fake.edit(update, "hej då")
    body = await call(fake, "getUpdates", allowed_updates=["edited_message"])
    assert [list(u)[1] for u in body["result"]] == ["edited_message"]


async def test_polling_is_refused_while_a_webhook_is_set(fake: FakeTelegram) -> None:
    await call(fake, "setWebhook", url="https://bot.example.org/tg")
    body = await call(fake, "getUpdates")
    assert body["error_code"] == 409
    info = await call(fake, "getWebhookInfo")
    assert info["result"]["url"] == "https://bot.example.org/tg"
    await call(fake, "deleteWebhook")
    assert (await call(fake, "getUpdates"))["ok"]


async def test_a_bot_cannot_write_first_or_to_someone_who_blocked_it(fake: FakeTelegram) -> None:
    first = await call(fake, "sendMessage", chat_id=USER, text="hej")
    assert first["error_code"] == 403
    assert "initiate" in first["description"]
    fake.user_says(USER, "hej")
    fake.block(USER)
    blocked = await call(fake, "sendMessage", chat_id=USER, text="hej")
    assert blocked["description"] == "Forbidden: bot was blocked by the user"


async def test_a_sent_message_is_a_full_message(fake: FakeTelegram) -> None:
    fake.user_says(USER, "hej")
    body = await call(fake, "sendMessage", chat_id=USER, text="123")
    message = body["result"]
    assert message["text"] == "123"
    assert message["chat"] == {"id": USER, "type": "private", "first_name": "Deltagare"}
    assert message["from"]["is_bot"] is True
    assert isinstance(message["date"], int)
    assert message["message_id"] == 2  # the person's message was 1 in the same chat


async def test_deleting_is_refused_after_48_hours_and_for_unknown_messages(
    fake: FakeTelegram,
) -> None:
    fake.user_says(USER, "hej")
    sent = (await call(fake, "sendMessage", chat_id=USER, text="a"))["result"]["message_id"]
    fake.advance(48 * 3600 + 1)
    too_old = await call(fake, "deleteMessage", chat_id=USER, message_id=sent)
    assert too_old["description"] == "Bad Request: message can't be deleted for everyone"
    missing = await call(fake, "deleteMessage", chat_id=USER, message_id=999)
    assert missing["error_code"] == 400


async def test_an_injected_refusal_has_telegrams_shape(fake: FakeTelegram) -> None:
    fake.fail_next("sendChatAction", 429, retry_after=3)
    fake.user_says(USER, "hej")
    body = await call(fake, "sendChatAction", chat_id=USER, action="typing")
    assert body["error_code"] == 429
    assert body["parameters"] == {"retry_after": 3}
    assert (await call(fake, "sendChatAction", chat_id=USER, action="typing"))["result"] is True
