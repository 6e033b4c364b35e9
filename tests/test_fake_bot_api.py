"""The fake Bot API answers like Telegram: every test drives it through a real telegram.Bot.

The descriptions asserted here are Telegram's (checked against TDLib's sources and test suites
that run against the live Bot API); PTB turns "Bad Request: message is too long" into
BadRequest("Message is too long"), so both sides are checked: the fake's raw description and
the exception PTB raises from it.
"""

from __future__ import annotations

import datetime as dtm
import struct

import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllPrivateChats,
    CopyTextButton,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from tests.fake_bot_api import FakeBotAPI, HtmlParseError, parse_html

CHAT = 1001
OTHER_CHAT = 1002
THIRD_CHAT = 1003
HTML = ParseMode.HTML
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)


def make_fake(**options: object) -> FakeBotAPI:
    """A fake with the rep's chat already known (the rep has pressed Start)."""
    fake = FakeBotAPI(**options)  # type: ignore[arg-type]
    fake.register_chat(CHAT, first_name="Aino")
    fake.register_chat(OTHER_CHAT, first_name="Lars")
    return fake


def make_bot(
    fake: FakeBotAPI, *, token: str | None = None, base_url: str = "https://api.telegram.org/bot"
) -> Bot:
    """A real PTB Bot whose HTTP requests go into the fake."""
    return Bot(
        token or fake.token, base_url=base_url, request=fake.request(), get_updates_request=fake.request()
    )


def keyboard(*rows: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    """An inline keyboard from rows of (text, callback_data)."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(text, callback_data=data) for text, data in row] for row in rows]
    )


def ptb_message(description: str) -> str:
    """The message PTB gives the exception it raises for a Telegram description."""
    stripped = description.removeprefix("Bad Request: ")
    return stripped.capitalize() if stripped != description else description


def png(width: int, height: int) -> bytes:
    """The start of a PNG file: enough for its signature and dimensions."""
    return (
        b"\x89PNG\r\n\x1a\n"
        + struct.pack(">I", 13)
        + b"IHDR"
        + struct.pack(">II", width, height)
        + b"\x08\x06\0\0\0"
    )


def assert_refused(fake: FakeBotAPI, error: TelegramError, code: int, description: str) -> None:
    """The fake recorded the refusal with Telegram's description and PTB reported it."""
    assert fake.rejections[-1].error_code == code
    assert fake.rejections[-1].description == description
    assert error.message == ptb_message(description)


# --- success ---------------------------------------------------------------------------------


async def test_send_message_answers_a_full_message_and_records_it() -> None:
    fake = make_fake()
    async with make_bot(fake) as bot:
        me = await bot.get_me()
        sent = await bot.send_message(
            CHAT,
            "Saved <b>Anna Virtanen</b> &amp; co",
            parse_mode=HTML,
            reply_markup=keyboard([("Done", "fu:7:done"), ("Snooze", "fu:7:snooze1h")]),
            disable_notification=True,
        )

    assert (me.id, me.username, me.is_bot) == (123456, "prospect_test_bot", True)
    assert sent.message_id == 1
    assert sent.text == "Saved Anna Virtanen & co"
    assert sent.chat.id == CHAT and sent.chat.type == "private" and sent.chat.first_name == "Aino"
    assert sent.from_user is not None and sent.from_user.id == me.id
    assert [(e.type, e.offset, e.length) for e in sent.entities] == [("bold", 6, 13)]
    assert sent.reply_markup == keyboard([("Done", "fu:7:done"), ("Snooze", "fu:7:snooze1h")])

    stored = fake.last_message(CHAT)
    assert (stored.text, stored.raw_text, stored.parse_mode) == (
        "Saved Anna Virtanen & co",
        "Saved <b>Anna Virtanen</b> &amp; co",
        "HTML",
    )
    assert fake.buttons(stored) == [[("Done", "fu:7:done"), ("Snooze", "fu:7:snooze1h")]]
    call = fake.calls("sendMessage")[0]
    assert call.params == {
        "chat_id": CHAT,
        "text": "Saved <b>Anna Virtanen</b> &amp; co",
        "parse_mode": "HTML",
        "disable_notification": True,
        "reply_markup": {
            "inline_keyboard": [
                [
                    {"text": "Done", "callback_data": "fu:7:done"},
                    {"text": "Snooze", "callback_data": "fu:7:snooze1h"},
                ]
            ]
        },
    }
    assert call.url == "https://api.telegram.org/bot123456:TEST-token/sendMessage"
    fake.assert_no_rejections()


async def test_message_ids_are_one_sequence_per_chat_shared_with_the_users_messages() -> None:
    fake = make_fake()
    async with make_bot(fake) as bot:
        assert fake.register_user_message(CHAT) == 1
        first = await bot.send_message(CHAT, "one")
        assert fake.register_user_message(CHAT) == 3
        second = await bot.send_message(CHAT, "two")
        elsewhere = await bot.send_message(OTHER_CHAT, "hello")

    assert (first.message_id, second.message_id, elsewhere.message_id) == (2, 4, 1)
    assert [m.text for m in fake.messages(CHAT)] == ["one", "two"]


async def test_limits_are_counted_after_parsing_and_in_characters() -> None:
    fake = make_fake()
    async with make_bot(fake) as bot:
        await bot.send_message(CHAT, "x" * 4096)
        await bot.send_message(
            CHAT, "<b>" + "x" * 4096 + "</b>\n\n", parse_mode=HTML
        )  # tags and trailing blanks
        await bot.send_message(CHAT, "&lt;" * 4096, parse_mode=HTML)  # one character each once decoded
        await bot.send_message(CHAT, "😀" * 4096)  # TDLib counts code points, not UTF-16 units
        await bot.send_message(CHAT, "ok", reply_markup=keyboard([("é" * 32, "é" * 32)]))  # 64 bytes
    fake.assert_no_rejections()

    stricter = make_fake(count_utf16_units=True)
    async with make_bot(stricter) as bot:
        with pytest.raises(BadRequest) as refused:
            await bot.send_message(CHAT, "😀" * 2049)
    assert_refused(stricter, refused.value, 400, "Bad Request: message is too long")


async def test_text_is_cleaned_like_telegram() -> None:
    fake = make_fake()
    async with make_bot(fake) as bot:
        sent = await bot.send_message(CHAT, "Name:\tAnna\r\nNote:\u2028<b>call\rback</b>", parse_mode=HTML)
    assert sent.text == "Name: Anna\nNote:callback"
    assert [(e.type, e.offset, e.length) for e in sent.entities] == [("bold", 16, 8)]


async def test_text_is_trimmed_like_telegram_and_formatting_offsets_are_utf16() -> None:
    fake = make_fake()
    async with make_bot(fake) as bot:
        sent = await bot.send_message(
            CHAT, "\n  🏟 <i>Oulu</i> <a href='https://example.com'>site</a>  \n", parse_mode=HTML
        )
    assert sent.text == "🏟 Oulu site"
    assert [(e.type, e.offset, e.length, e.url) for e in sent.entities] == [
        ("italic", 3, 4, None),
        ("text_link", 8, 4, "https://example.com"),
    ]


# --- what Telegram refuses -------------------------------------------------------------------

SEND_MESSAGE_REFUSALS = [
    pytest.param({"text": ""}, "Bad Request: message text is empty", id="empty"),
    pytest.param({"text": " \n  \n"}, "Bad Request: text must be non-empty", id="whitespace-only"),
    pytest.param(
        {"text": "<b> </b>", "parse_mode": HTML}, "Bad Request: text must be non-empty", id="empty-after-tags"
    ),
    pytest.param({"text": "\t\r\n"}, "Bad Request: text must be non-empty", id="control-characters-only"),
    pytest.param({"text": "\u200b"}, "Bad Request: text must be non-empty", id="zero-width-space-only"),
    pytest.param({"text": "x" * 4097}, "Bad Request: message is too long", id="4097-characters"),
    pytest.param(
        {"text": "abc<foo>", "parse_mode": HTML},
        'Bad Request: can\'t parse entities: Unsupported start tag "foo" at byte offset 3',
        id="unsupported-tag",
    ),
    pytest.param(
        {"text": "Budget < 5k", "parse_mode": HTML},
        'Bad Request: can\'t parse entities: Unsupported start tag "" at byte offset 7',
        id="bare-less-than",
    ),
    pytest.param(
        {"text": "Kähkönen <b>Oy", "parse_mode": HTML},
        "Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"b\"",
        id="unclosed-tag",
    ),
    pytest.param(
        {"text": "<b><i>test</b></i>", "parse_mode": HTML},
        "Bad Request: can't parse entities: "
        'Unmatched end tag at byte offset 10, expected "</i>", found "</b>"',
        id="crossed-tags",
    ),
    pytest.param(
        {"text": '<span class="x">s</span>', "parse_mode": HTML},
        'Bad Request: can\'t parse entities: Tag "span" must have class "tg-spoiler" at byte offset 0',
        id="span-without-spoiler",
    ),
    pytest.param(
        {"text": "Smith & Sons", "parse_mode": HTML},
        "Bad Request: can't parse entities: [strict] Character '&' at byte offset 6 must be escaped as "
        '"&amp;" (Telegram would keep it, but it means the text was not escaped)',
        id="unescaped-ampersand-strict",
    ),
    pytest.param({"text": "hi", "parse_mode": "HTM"}, "Bad Request: unsupported parse_mode", id="parse-mode"),
    pytest.param(
        {"text": "hi", "reply_markup": keyboard([("Yes", "q:1:2:" + "é" * 30)])},
        "Bad Request: BUTTON_DATA_INVALID",
        id="callback-data-over-64-bytes",
    ),
    pytest.param(
        {"text": "hi", "reply_markup": keyboard([("Yes", "")])},
        "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard",
        id="empty-callback-data",
    ),
    pytest.param(
        {"text": "hi", "reply_markup": keyboard([("", "q:1")])},
        "Bad Request: BUTTON_TEXT_INVALID",
        id="empty-button",
    ),
    pytest.param(
        {
            "text": "hi",
            "reply_markup": InlineKeyboardMarkup([[InlineKeyboardButton("Site", url="not-a-url")]]),
        },
        "Bad Request: inline keyboard button URL 'not-a-url' is invalid: Wrong HTTP URL",
        id="button-url",
    ),
    pytest.param(
        {
            "text": "hi",
            "reply_markup": InlineKeyboardMarkup(
                [[InlineKeyboardButton("WhatsApp", url="https://wa.me/358401234567?text=Hi Anna")]]
            ),
        },
        "Bad Request: inline keyboard button URL 'https://wa.me/358401234567?text=Hi Anna' is invalid: "
        "Wrong HTTP URL",
        id="button-url-with-a-space",
    ),
    pytest.param(
        {
            "text": "hi",
            "reply_markup": InlineKeyboardMarkup(
                [[InlineKeyboardButton("Copy", copy_text=CopyTextButton("x" * 257))]]
            ),
        },
        "Bad Request: BUTTON_COPY_TEXT_INVALID",
        id="copy-text-over-256",
    ),
    pytest.param(
        {
            "text": "hi",
            "reply_markup": InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="y")], []]),
        },
        "Bad Request: [strict] inline keyboard has an empty row",
        id="empty-row-strict",
    ),
    pytest.param(
        {
            "text": "hi",
            "reply_markup": InlineKeyboardMarkup(
                [[InlineKeyboardButton("Y", callback_data="y", url="t.me")]]
            ),
        },
        "Bad Request: [strict] inline keyboard button has several actions ['url', 'callback_data']; "
        "Telegram would keep one",
        id="two-actions-strict",
    ),
]


@pytest.mark.parametrize(("arguments", "description"), SEND_MESSAGE_REFUSALS)
async def test_send_message_refusals_are_telegrams(arguments: dict[str, object], description: str) -> None:
    fake = make_fake()
    async with make_bot(fake) as bot:
        with pytest.raises(BadRequest) as refused:
            await bot.send_message(CHAT, **arguments)  # type: ignore[arg-type]
    assert_refused(fake, refused.value, 400, description)
    assert fake.messages(CHAT) == []


async def test_unknown_chat_is_not_found() -> None:
    fake = make_fake()
    async with make_bot(fake) as bot:
        with pytest.raises(BadRequest) as refused:
            await bot.send_message(424242, "Reminder")
    assert_refused(fake, refused.value, 400, "Bad Request: chat not found")


async def test_a_reply_must_quote_a_message_that_exists() -> None:
    fake = make_fake()
    async with make_bot(fake) as bot:
        users_message = fake.register_user_message(CHAT)
        await bot.send_message(CHAT, "Noted", reply_to_message_id=users_message)
        await bot.delete_message(CHAT, users_message)
        with pytest.raises(BadRequest) as refused:
            await bot.send_message(CHAT, "Noted", reply_to_message_id=users_message)
        assert_refused(fake, refused.value, 400, "Bad Request: message to be replied not found")
        await bot.send_message(
            CHAT, "Noted", reply_to_message_id=users_message, allow_sending_without_reply=True
        )


async def test_without_strict_checks_a_bare_ampersand_is_kept_as_telegram_does() -> None:
    fake = make_fake(strict=False)
    async with make_bot(fake) as bot:
        sent = await bot.send_message(CHAT, "Smith & Sons &lt;3 &nbsp;", parse_mode=HTML)
    assert sent.text == "Smith & Sons <3 &nbsp;"


# --- edits -----------------------------------------------------------------------------------


async def test_an_edit_that_changes_nothing_is_refused() -> None:
    fake = make_fake()
    markup = keyboard([("Save", "s:1")])
    async with make_bot(fake) as bot:
        sent = await bot.send_message(CHAT, "<b>Summary</b>", parse_mode=HTML, reply_markup=markup)
        with pytest.raises(BadRequest) as refused:
            await bot.edit_message_text(
                "<b>Summary</b>", CHAT, sent.message_id, parse_mode=HTML, reply_markup=markup
            )
        assert_refused(fake, refused.value, 400, NOT_MODIFIED)
        with pytest.raises(BadRequest):
            await bot.edit_message_reply_markup(CHAT, sent.message_id, reply_markup=markup)

        # The same words in another format are a change, and so is dropping the keyboard.
        await bot.edit_message_text("Summary", CHAT, sent.message_id, reply_markup=markup)
        edited = await bot.edit_message_text("Summary", CHAT, sent.message_id)

    assert isinstance(edited, Message)
    assert edited.reply_markup is None and edited.edit_date is not None
    stored = fake.message(CHAT, sent.message_id)
    assert (stored.text, stored.reply_markup, stored.edited_count) == ("Summary", None, 2)


async def test_edit_reply_markup_replaces_the_keyboard() -> None:
    fake = make_fake()
    async with make_bot(fake) as bot:
        sent = await bot.send_message(CHAT, "Due: call Anna", reply_markup=keyboard([("Done", "fu:1:done")]))
        await bot.edit_message_reply_markup(
            CHAT, sent.message_id, reply_markup=keyboard([("Undo", "fu:1:undo")])
        )
        await bot.edit_message_reply_markup(CHAT, sent.message_id, reply_markup=InlineKeyboardMarkup([]))
        with pytest.raises(BadRequest) as refused:
            await bot.edit_message_reply_markup(CHAT, sent.message_id)  # no keyboard already
    assert_refused(fake, refused.value, 400, NOT_MODIFIED)
    assert fake.last_message(CHAT).reply_markup is None
    assert fake.last_message(CHAT).edited_count == 2


async def test_edits_of_messages_the_bot_cannot_edit() -> None:
    fake = make_fake()
    async with make_bot(fake) as bot:
        users_message = fake.register_user_message(CHAT)
        document = await bot.send_document(CHAT, b"name\n", filename="leads.csv")
        sent = await bot.send_message(CHAT, "Card")
        cases = [
            (bot.edit_message_text("x", CHAT, 999), "Bad Request: message to edit not found"),
            (bot.edit_message_text("x", CHAT, users_message), "Bad Request: message can't be edited"),
            (
                bot.edit_message_text("x", CHAT, document.message_id),
                "Bad Request: there is no text in the message to edit",
            ),
            (bot.edit_message_text("x" * 4097, CHAT, sent.message_id), "Bad Request: MESSAGE_TOO_LONG"),
            (
                bot.edit_message_text("x", CHAT, sent.message_id, reply_markup=ReplyKeyboardMarkup([["A"]])),  # type: ignore[arg-type]
                "Bad Request: inline keyboard expected",
            ),
        ]
        for call, description in cases:
            with pytest.raises(BadRequest) as refused:
                await call
            assert_refused(fake, refused.value, 400, description)


async def test_deleted_messages_are_gone() -> None:
    fake = make_fake()
    async with make_bot(fake) as bot:
        sent = await bot.send_message(CHAT, "Draft")
        users_message = fake.register_user_message(CHAT)
        assert await bot.delete_message(CHAT, sent.message_id) is True
        assert await bot.delete_message(CHAT, users_message) is True  # bots may delete incoming messages
        with pytest.raises(BadRequest) as refused:
            await bot.delete_message(CHAT, sent.message_id)
        assert_refused(fake, refused.value, 400, "Bad Request: message to delete not found")
        with pytest.raises(BadRequest) as refused:
            await bot.edit_message_text("Again", CHAT, sent.message_id)
        assert_refused(fake, refused.value, 400, "Bad Request: message to edit not found")
    assert fake.messages(CHAT) == []


# --- callback queries, commands, chat actions, webhooks, updates --------------------------------


async def test_a_callback_query_is_answered_once() -> None:
    fake = make_fake()
    fake.register_callback_query("cb-1")
    fake.register_callback_query("cb-2")
    expired = "Bad Request: query is too old and response timeout expired or query ID is invalid"
    async with make_bot(fake) as bot:
        assert await bot.answer_callback_query("cb-1", text="Saved") is True
        with pytest.raises(BadRequest) as refused:
            await bot.answer_callback_query("cb-1")
        assert_refused(fake, refused.value, 400, expired)
        with pytest.raises(BadRequest) as refused:
            await bot.answer_callback_query("never-sent")
        assert_refused(fake, refused.value, 400, expired)
        with pytest.raises(BadRequest) as refused:
            await bot.answer_callback_query("cb-2", text="x" * 201)
        assert_refused(fake, refused.value, 400, "Bad Request: MESSAGE_TOO_LONG")
        assert await bot.answer_callback_query("cb-2", text="x" * 200, show_alert=True) is True
    assert fake.answered_callbacks["cb-1"] == {"callback_query_id": "cb-1", "text": "Saved"}
    assert fake.answered_callbacks["cb-2"]["show_alert"] is True


async def test_commands_are_kept_per_scope_and_language() -> None:
    fake = make_fake()
    english = [BotCommand("new", "Capture a contact"), BotCommand("today", "Today's follow-ups")]
    finnish = [BotCommand("new", "Uusi kontakti")]
    async with make_bot(fake) as bot:
        assert await bot.set_my_commands(english) is True
        assert await bot.set_my_commands(finnish, scope=BotCommandScopeAllPrivateChats(), language_code="fi")
        assert await bot.get_my_commands() == tuple(english)
        assert await bot.get_my_commands(scope=BotCommandScopeAllPrivateChats(), language_code="fi") == tuple(
            finnish
        )
        assert await bot.get_my_commands(language_code="fi") == ()
        assert await bot.delete_my_commands() is True
        assert await bot.get_my_commands() == ()

        cases = [
            ([BotCommand("New", "Capital letters")], "Bad Request: BOT_COMMAND_INVALID"),
            ([BotCommand("a" * 33, "Too long")], "Bad Request: BOT_COMMAND_INVALID"),
            ([BotCommand("new", "")], "Bad Request: command description must be non-empty"),
            ([BotCommand("new", "x" * 257)], "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID"),
            ([BotCommand(f"c{i}", "d") for i in range(101)], "Bad Request: BOT_COMMANDS_TOO_MUCH"),
        ]
        for commands, description in cases:
            with pytest.raises(BadRequest) as refused:
                await bot.set_my_commands(commands)
            assert_refused(fake, refused.value, 400, description)


async def test_chat_actions() -> None:
    fake = make_fake()
    async with make_bot(fake) as bot:
        assert await bot.send_chat_action(CHAT, "upload_document") is True
        with pytest.raises(BadRequest) as refused:
            await bot.send_chat_action(CHAT, "dancing")
    assert_refused(fake, refused.value, 400, "Bad Request: wrong parameter action in request")
    assert fake.chat_actions == [(CHAT, "upload_document")]


async def test_webhook_must_be_https_with_a_header_safe_secret() -> None:
    fake = make_fake()
    async with make_bot(fake) as bot:
        cases = [
            (
                {"url": "http://bot.example.com/tg"},
                "Bad Request: bad webhook: An HTTPS URL must be provided for webhook",
            ),
            (
                {"url": "https://bot.example.com:8080/tg"},
                "Bad Request: bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443",
            ),
            (
                {"url": "https://bot.example.com/tg", "secret_token": "abc+/="},
                "Bad Request: secret token contains unallowed characters",
            ),
            (
                {"url": "https://bot.example.com/tg", "secret_token": "a" * 257},
                "Bad Request: secret token is too long",
            ),
        ]
        for arguments, description in cases:
            with pytest.raises(BadRequest) as refused:
                await bot.set_webhook(**arguments)  # type: ignore[arg-type]
            assert_refused(fake, refused.value, 400, description)

        assert (
            await bot.set_webhook("https://bot.example.com/tg", secret_token="s3cret_-" + "a" * 248) is True
        )
        info = await bot.get_webhook_info()
        assert info.url == "https://bot.example.com/tg"
        assert fake.webhook_secret == "s3cret_-" + "a" * 248
        with pytest.raises(Conflict) as conflict:
            await bot.get_updates()
        assert "can't use getUpdates method while webhook is active" in conflict.value.message
        assert await bot.delete_webhook() is True
        assert (await bot.get_webhook_info()).url == ""
        assert await bot.get_updates() == ()


async def test_get_updates_delivers_queued_updates_until_confirmed() -> None:
    fake = make_fake()
    user = {"id": CHAT, "is_bot": False, "first_name": "Aino", "language_code": "fi"}
    chat = {"id": CHAT, "type": "private", "first_name": "Aino"}
    message_id = fake.register_user_message(CHAT)
    update_id = fake.queue_update(
        {"message": {"message_id": message_id, "date": 1, "chat": chat, "from": user, "text": "/start"}}
    )
    async with make_bot(fake) as bot:
        updates = await bot.get_updates(timeout=1)
        assert [u.update_id for u in updates] == [update_id]
        assert isinstance(updates[0], Update) and updates[0].effective_message is not None
        assert updates[0].effective_message.text == "/start"
        assert await bot.get_updates(offset=update_id + 1, timeout=1) == ()


# --- files -----------------------------------------------------------------------------------


async def test_documents_and_photos_are_recorded_with_their_bytes() -> None:
    fake = make_fake()
    picture = png(800, 600)
    async with make_bot(fake) as bot:
        document = await bot.send_document(
            CHAT,
            b"name,stage\nAnna,interest\n",
            filename="leads.csv",
            caption="Your <b>export</b>",
            parse_mode=HTML,
        )
        photo = await bot.send_photo(CHAT, picture, caption="Funnel")
        assert document.document is not None and document.document.file_name == "leads.csv"
        again = await bot.send_document(OTHER_CHAT, document.document.file_id)  # by file_id
        assert (photo.photo[-1].width, photo.photo[-1].height) == (800, 600)

    assert document.caption == "Your export"
    assert [(e.type, e.offset, e.length) for e in document.caption_entities] == [("bold", 5, 6)]
    sent_document, sent_photo = fake.messages(CHAT)
    assert sent_document.document == ("leads.csv", b"name,stage\nAnna,interest\n")
    assert sent_document.caption == "Your export"
    assert (sent_photo.photo, sent_photo.caption) == (picture, "Funnel")
    assert fake.message(OTHER_CHAT, again.message_id).document == (
        "leads.csv",
        b"name,stage\nAnna,interest\n",
    )
    fake.assert_no_rejections()


async def test_file_refusals() -> None:
    fake = make_fake()
    async with make_bot(fake) as bot:
        cases = [
            (
                bot.send_document(CHAT, b"x", filename="a.txt", caption="x" * 1025),
                "Bad Request: message caption is too long",
            ),
            (bot.send_document(CHAT, b"", filename="empty.csv"), "Bad Request: file must be non-empty"),
            (
                bot.send_document(CHAT, "no-such-file-id"),
                "Bad Request: wrong file identifier/HTTP URL specified",
            ),
            (bot.send_photo(CHAT, b"not a picture"), "Bad Request: IMAGE_PROCESS_FAILED"),
            (bot.send_photo(CHAT, png(9000, 2000)), "Bad Request: PHOTO_INVALID_DIMENSIONS"),
        ]
        for call, description in cases:
            with pytest.raises(BadRequest) as refused:
                await call
            assert_refused(fake, refused.value, 400, description)


# --- tokens and URLs ------------------------------------------------------------------------------


async def test_a_wrong_token_is_unauthorized() -> None:
    fake = make_fake()
    bot = make_bot(fake, token="654321:WRONG-token")
    with pytest.raises(InvalidToken):
        await bot.initialize()  # PTB rewords the message: "The token `...` was rejected by the server."
    assert fake.rejections[-1][::2] == ("getMe", 401)
    assert fake.rejections[-1].description == "Unauthorized: invalid token specified"
    assert fake.requests[-1].url == "https://api.telegram.org/bot654321:WRONG-token/getMe"


async def test_an_unknown_method_is_not_found() -> None:
    fake = make_fake()
    async with make_bot(fake) as bot:
        with pytest.raises(EndPointNotFound):
            await bot.do_api_request("sendHologram", api_kwargs={"chat_id": CHAT})
    assert fake.rejections[-1][1:] == ({"chat_id": CHAT}, 404, "Not Found")


@pytest.mark.parametrize(
    ("base_url", "expected"),
    [
        ("http://bot-api.internal:8081/bot", "http://bot-api.internal:8081/bot123456:TEST-token/getMe"),
        (
            "https://api.telegram.org/bot{token}/test",
            "https://api.telegram.org/bot123456:TEST-token/test/getMe",
        ),
    ],
)
async def test_a_custom_base_url_is_the_one_requested(base_url: str, expected: str) -> None:
    fake = make_fake()
    async with make_bot(fake, base_url=base_url):
        pass
    assert [call.url for call in fake.requests] == [expected]


# --- behaviour switches -----------------------------------------------------------------------------


async def test_a_blocked_user_gives_forbidden_which_is_not_a_rejection() -> None:
    fake = make_fake()
    fake.blocked_users.add(CHAT)
    async with make_bot(fake) as bot:
        with pytest.raises(Forbidden) as refused:
            await bot.send_message(CHAT, "Daily digest")
        await bot.send_message(OTHER_CHAT, "Daily digest")
    assert refused.value.message == "Forbidden: bot was blocked by the user"
    assert fake.rejections == []
    assert fake.messages(CHAT) == []


async def test_rate_limiting_answers_429_with_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    # Without PTB_TIMEDELTA, PTB 22 warns (PTBDeprecationWarning) while building RetryAfter,
    # which warnings-as-errors turns into an error in place of the RetryAfter.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    now = [100.0]
    fake = make_fake()
    fake.register_chat(THIRD_CHAT)
    fake.rate_limit(global_per_second=2, per_chat_per_second=1, clock=lambda: now[0])
    async with make_bot(fake) as bot:
        await bot.send_message(CHAT, "one")
        with pytest.raises(RetryAfter) as throttled:
            await bot.send_message(CHAT, "two")
        assert throttled.value.retry_after == dtm.timedelta(seconds=1)
        await bot.send_message(OTHER_CHAT, "elsewhere")
        with pytest.raises(RetryAfter):
            await bot.send_message(THIRD_CHAT, "over the global limit")
        await bot.edit_message_text("one, edited", CHAT, 1)  # edits are not counted
        now[0] += 1.0
        await bot.send_message(CHAT, "two")

    assert fake.too_many_requests == 2
    assert fake.rejections == []
    assert [m.text for m in fake.messages(CHAT)] == ["one, edited", "two"]


async def test_injected_faults_surface_as_ptb_network_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    fake = make_fake()
    async with make_bot(fake) as bot:
        fake.inject("sendMessage", "5xx")
        with pytest.raises(NetworkError) as bad_gateway:
            await bot.send_message(CHAT, "a")
        assert (
            not isinstance(bad_gateway.value, TimedOut) and "Bad Gateway (502)" in bad_gateway.value.message
        )

        fake.inject("sendMessage", "timeout")
        with pytest.raises(TimedOut):
            await bot.send_message(CHAT, "b")

        fake.inject(None, "429", times=2)
        for _ in range(2):
            with pytest.raises(RetryAfter) as throttled:
                await bot.send_message(CHAT, "c")
            assert throttled.value.retry_after == dtm.timedelta(seconds=1)

        fake.inject("sendMessage", "403")
        with pytest.raises(Forbidden):
            await bot.send_message(CHAT, "d")

        fake.inject("answerCallbackQuery", "5xx")  # another method: not this one
        fake.inject("sendMessage", "timeout_after_send")
        with pytest.raises(TimedOut):
            await bot.send_message(CHAT, "e")
        await bot.send_message(CHAT, "f")

    # A timeout after the send is the duplicate trap: Telegram delivered "e" anyway.
    assert [m.text for m in fake.messages(CHAT)] == ["e", "f"]
    assert [kind for _, kind in fake.faults_served] == [
        "5xx",
        "timeout",
        "429",
        "429",
        "403",
        "timeout_after_send",
    ]
    assert fake.rejections == []


async def test_fail_ratio_is_random_but_repeatable() -> None:
    outcomes: list[list[bool]] = []
    for _ in range(2):
        fake = make_fake()
        async with make_bot(fake) as bot:
            fake.fail_ratio(0.5, kinds=("5xx",), seed=7, methods={"sendMessage"})
            results = []
            for i in range(20):
                try:
                    await bot.send_message(CHAT, f"m{i}")
                    results.append(True)
                except NetworkError:
                    results.append(False)
        outcomes.append(results)
    assert outcomes[0] == outcomes[1]
    assert 0 < outcomes[0].count(False) < 20


async def test_assert_no_rejections_lists_what_was_refused() -> None:
    fake = make_fake()
    async with make_bot(fake) as bot:
        with pytest.raises(BadRequest):
            await bot.send_message(CHAT, "")
    with pytest.raises(AssertionError, match="sendMessage -> 400 Bad Request: message text is empty"):
        fake.assert_no_rejections()


# --- the HTML parser against TDLib's own test vectors (test/message_entities.cpp) ----------------


@pytest.mark.parametrize(
    ("html", "error"),
    [
        ("🏟 🏟&lt;<abacaba", "Unclosed start tag at byte offset 13"),
        ("🏟 🏟&lt;<abac aba>", 'Unsupported start tag "abac" at byte offset 13'),
        ("🏟 🏟&lt;<i   =aba>", 'Empty attribute name in the tag "i" at byte offset 13'),
        ("🏟 🏟&lt;<i    aba  =  ", 'Unclosed start tag "i" at byte offset 13'),
        ("🏟 🏟&lt;<i    aba  =  190azAz-.,", "Unexpected end of name token at byte offset 27"),
        ('🏟 🏟&lt;<i    aba  =  "&lt;&gt;&quot;>', "Unclosed start tag at byte offset 13"),
        ("🏟 🏟&lt;</", "Unexpected end tag at byte offset 13"),
        ("🏟 🏟&lt;<i>a</i   ", "Unclosed end tag at byte offset 17"),
        ("🏟 🏟&lt;<i>a</em   >", 'Unmatched end tag at byte offset 17, expected "</i>", found "</em>"'),
        (
            "&#xDFDF;",
            "Text contains invalid Unicode characters after decoding HTML entities, check for unmatched "
            "surrogate code units",
        ),
    ],
)
def test_parse_html_errors_match_tdlib(html: str, error: str) -> None:
    with pytest.raises(HtmlParseError) as refused:
        parse_html(html)
    assert str(refused.value) == error


@pytest.mark.parametrize(
    ("html", "text", "entities"),
    [
        ("&lt;&gt;&amp;&quot;&laquo;&raquo;&#12345678;", '<>&"&laquo;&raquo;&#12345678;', []),
        ("🏟 🏟<i>🏟 &gt;<b aba   =   caba>&lt🏟</b></i>", "🏟 🏟🏟 ><🏟", [("italic", 5, 7), ("bold", 9, 3)]),
        ("🏟 🏟&lt;<i    aba  =  '&lt;&gt;&quot;'>a</>", "🏟 🏟<a", [("italic", 6, 1)]),
        ('<pre><code class="language-python">x = 1</code></pre>', "x = 1", [("pre", 0, 5)]),
        ("<blockquote expandable>notes</blockquote>", "notes", [("expandable_blockquote", 0, 5)]),
    ],
)
def test_parse_html_results_match_tdlib(html: str, text: str, entities: list[tuple[str, int, int]]) -> None:
    parsed = parse_html(html)
    assert parsed.text == text
    assert [(e.type, e.offset, e.length) for e in parsed.entities] == entities
