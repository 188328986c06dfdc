"""Bot API updates as the pipeline sees them: every kind, /start, edits, refusals."""

from __future__ import annotations

from typing import Any

import pytest
from aiogram.types import Update

from bot.core.kinds import Kind
from bot.core.model import Inbound
from bot.transports.telegram.updates import StartCommand, convert, telegram_id
from tests.support.fake_telegram import FakeTelegram
from tests.unit.transports.telegram.common import BOT_ID, TOKEN

BOT = f"telegram:{BOT_ID}"
USER = 555000111

FILE = {"file_id": "BQAD-file", "file_unique_id": "f1"}
MEDIA: dict[str, dict[str, Any]] = {
    "document": {"document": {**FILE, "file_name": "brev.pdf"}},
    "audio": {"audio": {**FILE, "duration": 60}},
    "video": {"video": {**FILE, "width": 640, "height": 480, "duration": 5}},
    "video_note": {"video_note": {**FILE, "length": 240, "duration": 5}},
    "animation": {"animation": {**FILE, "width": 320, "height": 240, "duration": 2}},
    "contact": {"contact": {"phone_number": "+46700000000", "first_name": "Anna"}},
    "dice": {"dice": {"emoji": "🎲", "value": 4}},
}
POLL = {
    "poll": {
        "id": "5001",
        "question": "Hur mår du?",
        "options": [
            {"persistent_id": "a", "text": "Bra", "voter_count": 0},
            {"persistent_id": "b", "text": "Dåligt", "voter_count": 0},
        ],
        "total_voter_count": 0,
        "is_closed": False,
        "is_anonymous": True,
        "type": "regular",
        "allows_multiple_answers": False,
        "allows_revoting": False,
        "members_only": False,
    }
}
VENUE = {
    "venue": {
        "location": {"latitude": 57.7089, "longitude": 11.9746},
        "title": "Hemma",
        "address": "Storgatan 1",
    },
    "location": {"latitude": 57.7089, "longitude": 11.9746},
}


@pytest.fixture
def tg() -> FakeTelegram:
    """Only its update builders are used here: no server runs."""
    return FakeTelegram(TOKEN)


def inbound(update: dict[str, Any]) -> Inbound:
    found = convert(update, BOT)
    assert isinstance(found, Inbound)
    return found


def test_text_becomes_an_inbound_with_telegram_addresses(tg: FakeTelegram) -> None:
    update = tg.user_says(USER, "Jag mår bra idag", username="anna_s")
    message = inbound(update)
    number = update["message"]["message_id"]
    assert message.event_id == f"telegram:{USER}:{number}"
    assert message.sender == f"telegram:{USER}"
    assert message.room_id == f"telegram:{USER}"
    assert message.text == "Jag mår bra idag"
    assert message.kind is Kind.TEXT
    assert message.room_encrypted is False
    assert message.room_members == frozenset({BOT, f"telegram:{USER}"})
    assert message.timestamp_ms == update["message"]["date"] * 1000
    assert message.replaces is None
    assert message.device_key is None


def test_an_aiogram_update_converts_as_its_dict_does(tg: FakeTelegram) -> None:
    update = tg.user_says(USER, "hej")
    assert convert(Update.model_validate(update), BOT) == convert(update, BOT)


def test_a_photo_without_a_caption_is_media_and_nothing_of_it_is_kept(tg: FakeTelegram) -> None:
    for update in (tg.user_sends_photo(USER), tg.user_sends_photo(USER, caption=" \n")):
        message = inbound(update)
        assert message.kind is Kind.MEDIA
        assert message.text == ""
        assert "AgADphoto" not in repr(message)


def test_a_caption_is_screened_as_the_participants_text(tg: FakeTelegram) -> None:
    # The file stays unread; the words under it are theirs, a threat included.
    photo = inbound(tg.user_sends_photo(USER, caption="jag ska döda henne ikväll"))
    assert (photo.kind, photo.text, photo.caption) == (Kind.TEXT, "jag ska döda henne ikväll", True)
    assert "AgADphoto" not in repr(photo)
    assert not inbound(tg.user_sends(USER, {"text": "hej"})).caption
    document = tg.user_sends(USER, {**MEDIA["document"], "caption": "till henne \ud800"})
    letter = inbound(document)
    assert letter.kind is Kind.TEXT and letter.text.startswith("till henne ")
    assert "brev.pdf" not in repr(letter)
    # A caption reading like a command is words, not a Start.
    assert inbound(tg.user_sends_photo(USER, caption="/start abc")).kind is Kind.TEXT
    edited = {**document["message"], "caption": "kniven är till henne", "edit_date": 1}
    edit = inbound({"update_id": 99, "edited_message": edited})
    assert (edit.kind, edit.text, edit.replaces) == (
        Kind.TEXT,
        "kniven är till henne",
        letter.event_id,
    )


@pytest.mark.parametrize("make", ["voice", "sticker"])
def test_voice_and_stickers_are_media(tg: FakeTelegram, make: str) -> None:
    update = tg.user_sends_voice(USER) if make == "voice" else tg.user_sends_sticker(USER)
    message = inbound(update)
    assert message.kind is Kind.MEDIA
    assert message.text == ""


@pytest.mark.parametrize("name", sorted(MEDIA))
def test_every_other_attachment_is_media(tg: FakeTelegram, name: str) -> None:
    message = inbound(tg.user_sends(USER, MEDIA[name]))
    assert message.kind is Kind.MEDIA
    assert message.text == ""
    assert "+46700000000" not in repr(message)


@pytest.mark.parametrize("place", ["location", "venue"])
def test_a_location_keeps_no_coordinates(tg: FakeTelegram, place: str) -> None:
    if place == "location":
        update = tg.user_sends_location(USER, 57.7089, 11.9746)
    else:
        update = tg.user_sends(USER, VENUE)
    message = inbound(update)
    assert message.kind is Kind.LOCATION
    assert message.text == ""
    assert "57.7089" not in repr(message)
    assert "11.9746" not in repr(message)
    assert "Storgatan" not in repr(message)


def test_a_poll_is_a_poll_and_its_question_is_not_kept(tg: FakeTelegram) -> None:
    message = inbound(tg.user_sends(USER, POLL))
    assert message.kind is Kind.POLL
    assert "Hur mår du" not in repr(message)


def test_a_service_note_is_nothing_to_answer(tg: FakeTelegram) -> None:
    note = {"message_auto_delete_timer_changed": {"message_auto_delete_time": 86400}}
    assert inbound(tg.user_sends(USER, note)).kind is Kind.OTHER


def test_an_edit_replaces_the_original_and_is_an_event_of_its_own(tg: FakeTelegram) -> None:
    original = tg.user_says(USER, "jag vill skada")
    tg.advance(30)
    edit = inbound(tg.edit(original, "jag vill prata"))
    first = inbound(original)
    assert edit.replaces == first.event_id
    assert edit.event_id != first.event_id
    assert edit.text == "jag vill prata"
    assert edit.timestamp_ms == first.timestamp_ms + 30_000


def test_start_with_a_code_is_a_start_command(tg: FakeTelegram) -> None:
    code = "Ab3_-" * 6 + "xy"
    update = tg.user_says(USER, f"/start {code}", username="anna_s")
    start = convert(update, BOT)
    assert isinstance(start, StartCommand)
    assert start.code == code
    assert start.person == f"telegram:{USER}"
    assert start.conversation == f"telegram:{USER}"
    assert start.user_id == USER
    assert start.username == "anna_s"
    assert start.event_id == f"telegram:{USER}:{update['message']['message_id']}"


def test_start_without_a_code(tg: FakeTelegram) -> None:
    start = convert(tg.user_says(USER, "/start"), BOT)
    assert isinstance(start, StartCommand)
    assert start.code is None


def test_start_addressed_to_the_bot_by_name(tg: FakeTelegram) -> None:
    start = convert(tg.user_says(USER, "/start@samtal_test_bot abc"), BOT)
    assert isinstance(start, StartCommand)
    assert start.code == "abc"


def test_a_start_payload_is_cut_at_telegrams_limit(tg: FakeTelegram) -> None:
    start = convert(tg.user_says(USER, "/start " + "a" * 200), BOT)
    assert isinstance(start, StartCommand)
    assert start.code == "a" * 64


def test_words_after_start_are_text(tg: FakeTelegram) -> None:
    assert inbound(tg.user_says(USER, "/start is what I pressed")).kind is Kind.TEXT


def test_group_chats_are_not_talked_to(tg: FakeTelegram) -> None:
    assert convert(tg.user_says(USER, "hej", chat_type="group"), BOT) is None
    assert convert(tg.user_says(USER, "hej", chat_type="supergroup"), BOT) is None
    assert convert(tg.user_says(USER, "/start abc", chat_type="group"), BOT) is None


def test_other_bots_and_other_updates_are_not_for_the_pipeline(tg: FakeTelegram) -> None:
    update = tg.user_says(USER, "hej")
    update["message"]["from"] = {**update["message"]["from"], "is_bot": True}
    assert convert(update, BOT) is None
    channel = {
        "update_id": 1,
        "channel_post": {
            "message_id": 1,
            "date": 1_700_000_000,
            "chat": {"id": -100123, "type": "channel", "title": "Kanal"},
            "text": "nyheter",
        },
    }
    assert convert(channel, BOT) is None


def test_text_is_made_utf8_clean(tg: FakeTelegram) -> None:
    message = inbound(tg.user_says(USER, "hej \ud800 då"))
    message.text.encode("utf-8")  # raises on a lone surrogate
    assert message.text.startswith("hej ")
    assert message.text.endswith(" då")


def test_telegram_ids_parse_only_telegram_addresses() -> None:
    assert telegram_id("telegram:123") == 123
    assert telegram_id("telegram:-100123") == -100123
    assert telegram_id("@anna:example.org") is None
    assert telegram_id("telegram:anna") is None
    assert telegram_id("telegram:") is None
