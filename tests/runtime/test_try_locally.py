"""`python main.py try` in a real browser: the chat page plays a rep, the real bot answers through the local
Bot API, and what the page shows and what the bot stored are both checked.

Needs Debian's chromium (`apt-get install chromium`) and playwright (the dev extra); without them these
tests skip, saying why, except under CI=true, where they must run."""

from __future__ import annotations

import asyncio
import io
import re
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from playwright.async_api import expect
from sqlmodel import Session, select

from bot.config import Settings
from runtime.try_locally import LOCAL_REPS, TrySession, try_overrides
from storage.engine import create_engine_for
from storage.models import Contact, FollowUp, Rep
from tests.factories import PAGE_WAIT_MS, ChatPage, try_process

ANNA, MAIJA = LOCAL_REPS[0], LOCAL_REPS[1]


@pytest.fixture
async def session(sqlite_url: str) -> AsyncIterator[TrySession]:
    """The try mode in this process, on the test's SQLite file and a free port."""
    settings = Settings(**{**try_overrides([]), "database_url": sqlite_url}, _env_file=None)  # type: ignore[call-arg]
    running = TrySession(settings, port=0)
    await running.start()
    try:
        yield running
    finally:
        await running.stop()
    assert running.api.rejections == [], "the local Bot API refused requests"


def stored_contacts(database_url: str) -> list[tuple[Contact, Rep]]:
    engine = create_engine_for(database_url)
    try:
        with Session(engine) as db:
            return [(contact, rep) for contact, rep in db.exec(select(Contact, Rep).join(Rep)).all()]
    finally:
        engine.dispose()


async def onboard(chat: ChatPage, *, time_zone_step: str, digest_step: str, done: str) -> None:
    await chat.send("/start")
    await chat.expect_last(time_zone_step)
    await chat.press("Skip")
    await chat.expect_last(digest_step)
    await chat.press("09:00")
    await chat.expect_last(done)


async def test_a_capture_in_the_browser_from_first_message_to_the_saved_card(
    browser_page: Any, tmp_path: Path
) -> None:
    async with try_process(tmp_path) as process:
        chat = ChatPage(browser_page, process.url)
        await chat.open(ANNA.id)
        await expect(browser_page.locator("#rep")).to_have_value(str(ANNA.id))

        # The time zone from a shared location, as the share-location button under the chat sends it.
        await chat.send("/start")
        await chat.expect_last("Your time zone?")
        await browser_page.locator("#reply-keyboard button").filter(has_text="Share my location").click()
        await browser_page.select_option("#location select[name=place]", label="Helsinki")
        await browser_page.click("#location button[type=submit]")
        await expect(browser_page.locator(".message.user .location-card")).to_contain_text("60.1699, 24.9384")
        await chat.expect_last("daily digest")
        await expect(browser_page.locator("#reply-keyboard")).to_be_hidden()
        await chat.press("09:00")
        await chat.expect_last("All set")
        before = await chat.bot_messages.count()
        await chat.send("Pekka Mäkinen, Acme <Oy> & Co")
        await chat.expect_last("Need?")
        for label, next_question in (
            ("Yes", "Budget?"),
            ("Yes", "Decision-maker?"),
            ("Decision-maker", "Timeline?"),
            ("< 1 month", "Fit?"),
            ("⏩ Finish", "Next step?"),
            ("Tomorrow", "Check and save"),
        ):
            await chat.press(label)
            await chat.expect_last(next_question)
        card = chat.last_bot_message
        # The card as Telegram draws it: the name in bold, the company's "<" and "&" as typed.
        await expect(card.locator("b").filter(has_text="Pekka Mäkinen")).to_have_count(1)
        await expect(card).to_contain_text("Acme <Oy> & Co")
        await expect(card).to_contain_text("Prospect")
        assert await chat.button_labels() == ["✅ Save", "✏️ Edit", "✖ Cancel"]
        await browser_page.screenshot(path=str(tmp_path / "card.png"))

        await chat.press("✅ Save")
        await chat.expect_last("Saved")
        await expect(chat.last_bot_message.locator("b")).to_have_text("Pekka Mäkinen")
        # One bubble edited in place from the first question to the saved card.
        await expect(chat.bot_messages).to_have_count(before + 1)
        await expect(chat.last_bot_message.locator(".meta")).to_contain_text("edited")

        database_url = f"sqlite:///{tmp_path / 'data' / 'try.db'}"
        [(contact, rep)] = stored_contacts(database_url)
        assert (contact.name, contact.company) == ("Pekka Mäkinen", "Acme <Oy> & Co")
        assert contact.status == "prospect"
        assert (rep.telegram_id, rep.language, rep.digest_time) == (ANNA.id, "en", "09:00")
        assert rep.timezone == "Europe/Helsinki"
        engine = create_engine_for(database_url)
        with Session(engine) as db:
            followups = db.exec(select(FollowUp).where(FollowUp.contact_id == contact.id)).all()
        engine.dispose()
        assert [followup.state for followup in followups] == ["pending"]


async def test_the_page_draws_telegram_formatting_and_shows_everything_else_as_typed(
    browser_page: Any, session: TrySession
) -> None:
    chat = ChatPage(browser_page, session.url)
    await chat.open(MAIJA.id)
    await session.application.bot.send_message(
        MAIJA.id,
        "<b>bold</b> <i>italic</i> <u>under</u> <s>struck</s> <code>x = 1</code>\n"
        '<pre><code class="language-python">print("hi")</code></pre>'
        '<a href="https://example.com/card">link</a> <tg-spoiler>secret</tg-spoiler>\n'
        "<blockquote>quoted <b>and bold</b></blockquote>"
        "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co",
    )
    bubble = chat.last_bot_message.locator(".text")
    for tag, text in (("b", "bold"), ("i", "italic"), ("u", "under"), ("s", "struck"), ("code", "x = 1")):
        exactly = re.compile(f"^{re.escape(text)}$")
        await expect(bubble.locator(tag).filter(has_text=exactly)).to_have_count(1, timeout=PAGE_WAIT_MS)
    await expect(bubble.locator("pre code.language-python")).to_have_text('print("hi")')
    await expect(bubble.locator('a[href="https://example.com/card"]')).to_have_text("link")
    await expect(bubble.locator("blockquote b")).to_have_text("and bold")
    spoiler = bubble.locator(".spoiler")
    await expect(spoiler).to_have_text("secret")
    await expect(spoiler).not_to_have_class("spoiler shown")
    await spoiler.click()
    await expect(spoiler).to_have_class("spoiler shown")
    await expect(bubble).to_contain_text("<script>alert(1)</script> & Co")
    assert await chat.page.locator(".chat script").count() == 0

    # What the rep types is text, whatever it looks like.
    await chat.send("<b>not bold</b> &amp;")
    mine = chat.page.locator(".message.user .text").last
    await expect(mine).to_have_text("<b>not bold</b> &amp;")
    assert await mine.locator("b").count() == 0


async def test_files_contacts_and_photos_go_both_ways(browser_page: Any, session: TrySession) -> None:
    chat = ChatPage(browser_page, session.url)
    await chat.open(ANNA.id)
    await onboard(chat, time_zone_step="Your time zone?", digest_step="daily digest", done="All set")

    # A contact shared from the phone starts a capture of that person.
    await browser_page.click("#attach-button")
    await browser_page.click("#attach-contact")
    await browser_page.fill("#contact input[name=first_name]", "Liisa")
    await browser_page.fill("#contact input[name=last_name]", "Laine")
    await browser_page.fill("#contact input[name=phone]", "+358 40 123 4567")
    await browser_page.click("#contact button[type=submit]")
    await expect(browser_page.locator(".message.user .contact-card")).to_contain_text("+358 40 123 4567")
    await chat.expect_last("Liisa Laine")
    await chat.send("/cancel")
    await chat.expect_last("Nothing was saved")

    # A photo is shown as sent, and the bot says what it takes instead.
    picture = io.BytesIO()
    Image.new("RGB", (64, 48), "teal").save(picture, "PNG")
    answers = await chat.bot_messages.count()
    await browser_page.set_input_files(
        "#photo-input", files=[{"name": "card.png", "mimeType": "image/png", "buffer": picture.getvalue()}]
    )
    await expect(browser_page.locator(".message.user img.photo")).to_have_count(1, timeout=PAGE_WAIT_MS)
    assert await browser_page.locator(".message.user img.photo").evaluate("image => image.naturalWidth") == 64
    await expect(chat.bot_messages).to_have_count(answers + 1, timeout=PAGE_WAIT_MS)

    # A CSV sent as a document is read as an import; importing it stores its contact.
    csv = "name,company,phone\nMatti Meikäläinen,Oy Esimerkki Ab,+358 50 765 4321\n".encode()
    await browser_page.set_input_files(
        "#document-input", files=[{"name": "contacts.csv", "mimeType": "text/csv", "buffer": csv}]
    )
    await expect(browser_page.locator(".message.user .file-name")).to_have_text("contacts.csv")
    await chat.expect_last("Import preview")
    await chat.press("📥 Import")
    await chat.expect_last("Imported")
    assert [contact.name for contact, _ in stored_contacts(session.settings.database_url)] == [
        "Matti Meikäläinen"
    ]

    # The export's CSV is a file the rep can download.
    await chat.send("/export")
    await chat.expect_last("Export which contacts?")
    await chat.press("All")
    link = browser_page.locator(".message.bot a.file").filter(has_text="all.csv")
    await expect(link).to_have_count(1, timeout=PAGE_WAIT_MS)
    async with browser_page.expect_download() as download_info:
        await link.click()
    download = await download_info.value
    assert download.suggested_filename == "all.csv"
    exported = await asyncio.to_thread(Path(await download.path()).read_text, encoding="utf-8-sig")
    assert "Matti Meikäläinen" in exported

    # The funnel is a picture in the chat.
    await chat.send("/stats")
    funnel = browser_page.locator(".message.bot img.photo")
    await expect(funnel).to_have_count(1, timeout=PAGE_WAIT_MS)
    await expect(funnel).to_have_js_property("complete", True)
    assert await funnel.evaluate("image => image.naturalWidth") > 100


async def test_a_port_in_use_is_said_before_the_bot_starts(sqlite_url: str) -> None:
    settings = Settings(**{**try_overrides([]), "database_url": sqlite_url}, _env_file=None)  # type: ignore[call-arg]
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        session = TrySession(settings, port=taken.getsockname()[1])
        with pytest.raises(OSError, match="address already in use"):
            await session.start()
    assert not session.application.running
    assert session.api.chat_actions == [] and session.api.commands == {}, "the bot made no call"
