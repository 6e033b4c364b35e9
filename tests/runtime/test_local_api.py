"""The local Bot API's users' side and the chat page's JSON, without a browser: what a Telegram app would not
send is refused, a press waits for the bot's answer, the page learns of changes, and a POST from anywhere
but the page is refused."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer
from PIL import Image
from telegram import (
    Bot,
    CopyTextButton,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from telegram.error import BadRequest

from runtime.local_api import LocalBotAPI
from runtime.local_api.page import PAGE_HEADER, create_chat_page
from runtime.local_api.users import LocalUser, UserApps, UserInputError

TOKEN = "7000000001:local-try-mode"
REP = LocalUser(9001, "Anna", "Smith", "anna_sales", "en")
PAGE = {PAGE_HEADER: "1"}


@pytest.fixture
def api() -> LocalBotAPI:
    return LocalBotAPI(TOKEN, long_poll_wait=5.0)


@pytest.fixture
def apps(api: LocalBotAPI) -> UserApps:
    return UserApps(api, [REP])


@pytest.fixture
async def bot(api: LocalBotAPI) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, request=api.request(), get_updates_request=api.request()) as started:
        yield started


@pytest.fixture
async def client(apps: UserApps) -> AsyncIterator[TestClient]:  # type: ignore[type-arg]
    async with TestClient(TestServer(create_chat_page(apps))) as page_client:
        yield page_client
    apps.close()


async def test_a_typed_command_arrives_as_telegram_sends_it(apps: UserApps, bot: Bot) -> None:
    apps.send_text(REP.id, "/find Virtanen")
    [update] = await bot.get_updates(timeout=1)
    assert update.message is not None and update.message.text == "/find Virtanen"
    assert [(e.type, e.offset, e.length) for e in update.message.entities] == [("bot_command", 0, 5)]
    assert update.message.from_user is not None and update.message.from_user.language_code == "en"


async def test_a_long_poll_answers_as_soon_as_an_update_is_queued(apps: UserApps, bot: Bot) -> None:
    polling = asyncio.create_task(bot.get_updates(timeout=30))
    await asyncio.sleep(0)  # the request is in the local Bot API, waiting
    apps.send_text(REP.id, "Pekka")
    # Bounded by the test's timeout: a long poll that waited its 30 s (or long_poll_wait) would fail it.
    updates = await asyncio.wait_for(polling, timeout=4)
    assert [update.message.text for update in updates if update.message] == ["Pekka"]


def test_what_a_telegram_app_would_not_send_is_refused(apps: UserApps) -> None:
    with pytest.raises(UserInputError, match="empty"):
        apps.send_text(REP.id, "   ")
    with pytest.raises(UserInputError, match="4096"):
        apps.send_text(REP.id, "x" * 4097)
    with pytest.raises(UserInputError, match="phone"):
        apps.share_contact(REP.id, phone="", first_name="Liisa")
    with pytest.raises(UserInputError, match="picture"):
        apps.send_photo(REP.id, filename="notes.txt", content=b"not an image")
    with pytest.raises(UserInputError, match="no user"):
        apps.send_text(4242, "hello")
    assert apps.timeline(REP.id) == []


async def test_a_press_waits_for_the_answer_and_a_button_not_shown_cannot_be_pressed(
    apps: UserApps, bot: Bot
) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="q:1:need:yes")]])
    sent = await bot.send_message(REP.id, "Need?", reply_markup=keyboard)
    with pytest.raises(UserInputError, match="no such button"):
        await apps.press(REP.id, sent.message_id, "q:1:need:forged")

    async def the_bot() -> None:
        [update] = await bot.get_updates(timeout=5)
        assert update.callback_query is not None and update.callback_query.data == "q:1:need:yes"
        assert update.callback_query.message is not None
        await update.callback_query.answer("Noted", show_alert=True)

    answering = asyncio.create_task(the_bot())
    assert await apps.press(REP.id, sent.message_id, "q:1:need:yes") == {"text": "Noted", "alert": True}
    await answering


async def test_the_page_sees_messages_edits_and_deletions_in_order(apps: UserApps, bot: Bot) -> None:
    apps.send_text(REP.id, "Pekka")
    version = apps.version(REP.id)
    waiting = asyncio.create_task(apps.wait_for_change(REP.id, version, within=5))
    sent = await bot.send_message(REP.id, "<b>Need?</b>", parse_mode="HTML")
    assert await waiting > version
    await bot.edit_message_text(
        "<b>Budget?</b>", chat_id=REP.id, message_id=sent.message_id, parse_mode="HTML"
    )
    photo = io.BytesIO()
    Image.new("RGB", (300, 200), "navy").save(photo, "JPEG")
    apps.send_photo(REP.id, filename="card.jpg", content=photo.getvalue())
    timeline = apps.timeline(REP.id)
    assert [side for side, _ in timeline] == ["user", "bot", "user"]
    shown = timeline[1][1]
    assert shown.text == "Budget?" and shown.edited_count == 1  # type: ignore[union-attr]
    [size] = timeline[2][1].content["photo"]  # type: ignore[union-attr]
    assert (size["width"], size["height"]) == (300, 200)
    await bot.delete_message(REP.id, sent.message_id)
    assert [side for side, _ in apps.timeline(REP.id)] == ["user", "user"]


async def test_the_chat_as_the_page_reads_it(client: TestClient, bot: Bot) -> None:  # type: ignore[type-arg]
    await bot.set_my_commands([("new", "Capture a new contact")])
    await bot.set_my_commands([("new", "Kirjaa uusi kontakti")], language_code="fi")
    answer = await client.post(f"/api/chats/{REP.id}/text", json={"text": "Anna <b> & Co"}, headers=PAGE)
    assert answer.status == 200
    await bot.send_message(REP.id, "Saved <b>Anna &lt;b&gt; &amp; Co</b>", parse_mode="HTML")
    view = await (await client.get(f"/api/chats/{REP.id}?after=-1")).json()
    assert [(m["from"], m["text"]) for m in view["messages"]] == [
        ("user", "Anna <b> & Co"),
        ("bot", "Saved Anna <b> & Co"),
    ]
    assert view["messages"][1]["entities"] == [{"type": "bold", "offset": 6, "length": 13}]
    assert view["commands"] == [{"command": "new", "description": "Capture a new contact"}]
    assert view["refused"] == []


async def test_the_page_gets_link_and_copy_buttons_as_they_are(client: TestClient, bot: Bot) -> None:  # type: ignore[type-arg]
    link = "https://wa.me/358401234567?text=Hi%20Anna"
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("💬 WhatsApp", url=link),
                InlineKeyboardButton("📋 Copy message", copy_text=CopyTextButton("Hi Anna")),
            ]
        ]
    )
    await bot.send_message(REP.id, "Follow up: Anna", reply_markup=markup)
    view = await (await client.get(f"/api/chats/{REP.id}?after=-1")).json()
    assert view["messages"][-1]["buttons"] == [
        [
            {
                "text": "💬 WhatsApp",
                "data": None,
                "url": "https://wa.me/358401234567?text=Hi%20Anna",
                "copy": None,
            },
            {"text": "📋 Copy message", "data": None, "url": None, "copy": "Hi Anna"},
        ]
    ]


async def test_a_refusal_shows_under_the_chat(client: TestClient, bot: Bot) -> None:  # type: ignore[type-arg]
    with pytest.raises(BadRequest, match="unsupported start tag"):
        await bot.send_message(REP.id, "Saved <Anna>", parse_mode="HTML")
    view = await (await client.get(f"/api/chats/{REP.id}?after=-1")).json()
    assert view["messages"] == []
    assert [(r["method"], r["code"]) for r in view["refused"]] == [("sendMessage", 400)]


async def test_a_post_without_the_pages_header_is_refused(client: TestClient) -> None:  # type: ignore[type-arg]
    # A form on another site can post to 127.0.0.1, but cannot add a header without the page's consent.
    answer = await client.post(f"/api/chats/{REP.id}/text", data={"text": "/deleteme"})
    assert answer.status == 403
    assert (await client.post(f"/api/chats/{REP.id}/text", json={"text": ""}, headers=PAGE)).status == 400
    assert (await client.get("/api/chats/4242?after=-1")).status == 400
    assert (await client.get("/static/../page.py")).status == 404


async def test_a_reply_keyboard_stays_until_removed_and_a_location_button_shares_one(
    apps: UserApps,
    bot: Bot,
    client: TestClient,  # type: ignore[type-arg]
) -> None:
    share = ReplyKeyboardMarkup(
        [[KeyboardButton("📍 Share my location", request_location=True)], ["Later"]], one_time_keyboard=True
    )
    await bot.send_message(REP.id, "Where are you?", reply_markup=share)
    await bot.send_message(
        REP.id,
        "Or pick one",
        reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("Oslo", callback_data="z")]]),
    )
    view = await (await client.get(f"/api/chats/{REP.id}?after=-1")).json()
    assert view["reply_keyboard"] == [
        [{"text": "📍 Share my location", "kind": "location"}],
        [{"text": "Later", "kind": "text"}],
    ]
    with pytest.raises(UserInputError, match="no such button"):
        apps.tap_reply_button(REP.id, "Sooner")
    answer = await client.post(
        f"/api/chats/{REP.id}/location", json={"latitude": 60.1699, "longitude": 24.9384}, headers=PAGE
    )
    assert answer.status == 200
    [update] = await bot.get_updates(timeout=1)
    assert update.message is not None and update.message.location is not None
    assert (update.message.location.latitude, update.message.location.longitude) == (60.1699, 24.9384)
    # A one-time keyboard hides once used.
    assert apps.api.reply_keyboard(REP.id) is None

    await bot.send_message(REP.id, "Again?", reply_markup=share)
    apps.tap_reply_button(REP.id, "Later")
    await bot.send_message(REP.id, "Where are you?", reply_markup=share)
    await bot.send_message(REP.id, "Thanks", reply_markup=ReplyKeyboardRemove())
    assert apps.api.reply_keyboard(REP.id) is None
    later = await bot.get_updates(offset=update.update_id + 1, timeout=1)
    assert [sent.message.text for sent in later if sent.message] == ["Later"]
