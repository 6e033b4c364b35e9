"""The live calendar as a rep and their calendar app meet it: /settings turns it on and sends the private
address once, a real HTTP client fetches the feed and icalendar reads it (events in the rep's zone, a
moved follow-up updated in place, a done or deleted one gone, birthdays every year), the ETag answers
304, and a wrong, replaced or turned-off address is a 404 that leaves no trace in the logs."""

from __future__ import annotations

import hashlib
import io
import logging
import re
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import aiohttp
import icalendar
import pytest
import sqlalchemy as sa
from pydantic import SecretStr
from sqlmodel import Session, col, select

from bot.calendar import new_token
from bot.config import Settings
from bot.i18n import Translator
from bot.scoring import Score
from runtime.application import build_application
from runtime.logs import configure_logging, secrets_of
from runtime.polling import start_polling, stop_polling
from runtime.webhook import start_webhook
from storage.models import CalendarFeed, FollowUp
from tests.factories import FakeClock, RepChat, calendar_feeds, capture, storage_of
from tests.fake_bot_api import FakeBotAPI

PUBLIC = "https://cal.example.org"
HELSINKI = ZoneInfo("Europe/Helsinki")
_ADDRESS = re.compile(r"https://\S+?/calendar/[A-Za-z0-9_-]{43}\.ics")

CALENDAR = {"public_url": PUBLIC, "calendar_port": 0, "listen": "127.0.0.1"}


async def turn_on(rep: RepChat, t: Translator) -> str:
    """/settings → Calendar → Turn on: the address the bot sent."""
    await rep.send("/settings")
    await rep.press(t.plain("settings.calendar_button"))
    assert t.plain("calendar.turn_on") in rep.button_labels
    await rep.press(t.plain("calendar.turn_on"))
    return sent_address(rep)


async def tap(rep: RepChat, label: str) -> str | None:
    """Tap the button with this label on the newest message that has it (the address message, sent
    after the settings message, has only its copy button)."""
    for message in reversed(rep.messages):
        if any(text == label for row in rep.fake.buttons(message) for text, _ in row):
            return await rep.press(label, message=message)
    raise AssertionError(f"no message with a button {label!r}")


def sent_address(rep: RepChat) -> str:
    """The newest calendar address in the chat: in a message of its own, with a button that copies it."""
    for message in reversed(rep.messages):
        found = _ADDRESS.search(message.text or "")
        if found:
            assert message.reply_markup is not None
            (copy,) = message.reply_markup["inline_keyboard"][0]
            assert copy["copy_text"] == {"text": found.group(0)}
            assert "webcal://" + found.group(0).removeprefix("https://") in (message.text or "")
            return found.group(0)
    raise AssertionError("no calendar address in the chat")


async def fetch(http: aiohttp.ClientSession, address: str, **headers: str) -> tuple[int, bytes, Any]:
    async with http.get(urlsplit(address).path, headers=headers) as response:
        return response.status, await response.read(), response.headers


def events(body: bytes) -> dict[str, icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(body)
    return {str(event["uid"]): event for event in calendar.walk("VEVENT")}


def open_followups(app: Any, owner_id: int) -> list[FollowUp]:
    with Session(storage_of(app).engine) as session:
        return list(
            session.exec(
                select(FollowUp)
                .where(FollowUp.owner_id == owner_id, col(FollowUp.state).in_(("pending", "claimed", "sent")))
                .order_by(col(FollowUp.id))
            )
        )


def rep_id_of(app: Any, rep: RepChat) -> int:
    stored = storage_of(app).reps.get_rep(telegram_id=rep.user_id)
    assert stored is not None
    return stored.id


@pytest.fixture
async def calendar_app(start_app: Callable[..., Awaitable[Any]]) -> Any:
    """The application with a web server for the calendar feeds (as long polling with CALENDAR_PORT)."""
    return await start_app(**CALENDAR)


@pytest.fixture
def maija(calendar_app: Any, fake: FakeBotAPI, clock: FakeClock) -> RepChat:
    return RepChat(calendar_app, fake, user_id=5001, first_name="Maija", clock=clock)


async def test_the_feed_shows_the_rep_s_follow_ups_in_their_zone_and_updates_as_they_change(
    calendar_app: Any, fake: FakeBotAPI, clock: FakeClock
) -> None:
    app = calendar_app
    rep = RepChat(app, fake, user_id=5001, first_name="Maija", clock=clock)
    other = RepChat(app, fake, user_id=5002, first_name="Ola", clock=clock)
    await capture(rep, "Anna Virtanen, Acme Oy", note="Wants a demo in March")
    await capture(rep, "Pekka Mäki", next_step="In 3 days")
    await capture(other, "Someone Else, Other Ab")
    storage = storage_of(app)
    owner = rep_id_of(app, rep)
    storage.reps.update_rep(rep_id=owner, timezone="Europe/Helsinki")
    anna, pekka = open_followups(app, owner)
    address = await turn_on(rep, Translator("en"))
    assert address.startswith(PUBLIC + "/calendar/")

    async with calendar_feeds(app) as http:
        status, body, headers = await fetch(http, address)
        assert status == 200
        assert headers["Content-Type"].startswith("text/calendar")
        assert headers["Cache-Control"] == "private, no-cache"
        calendar = icalendar.Calendar.from_ical(body)
        assert [str(zone["tzid"]) for zone in calendar.walk("VTIMEZONE")] == ["Europe/Helsinki"]
        found = events(body)
        uid = f"followup-{anna.id}@cal.example.org"
        assert set(found) == {uid, f"followup-{pekka.id}@cal.example.org"}, "only this rep's follow-ups"
        event = found[uid]
        assert str(event["summary"]) == "Follow up: Anna Virtanen (Acme Oy)"
        assert str(event["description"]) == "Wants a demo in March"
        assert event["dtstart"].params["TZID"] == "Europe/Helsinki"
        start = event.decoded("dtstart")
        assert start == anna.due_at and start.utcoffset() == anna.due_at.astimezone(HELSINKI).utcoffset()
        assert event.decoded("duration") == timedelta(minutes=15)
        assert str(found[f"followup-{pekka.id}@cal.example.org"]["summary"]) == "Follow up: Pekka Mäki"
        assert b"Someone Else" not in body

        # Moved: the same event (same UID) at the new time.
        moved = datetime(2026, 12, 3, 9, 30, tzinfo=HELSINKI)
        assert storage.followups.reschedule(owner_id=owner, followup_id=anna.id or 0, due=moved)
        # Done and deleted: gone.
        done = storage.followups.complete(
            owner_id=owner, followup_id=pekka.id or 0, outcome="met", score=Score(10, ())
        )
        assert done is not None
        status, body, _ = await fetch(http, address)
        assert status == 200
        found = events(body)
        assert list(found) == [uid]
        assert found[uid].decoded("dtstart") == moved
        assert str(found[uid]["dtstart"].to_ical().decode()) == "20261203T093000"

        assert storage.contacts.delete(owner_id=owner, contact_id=anna.contact_id)
        status, body, _ = await fetch(http, address)
        assert (status, events(body)) == (200, {})


async def test_birthdays_repeat_every_year_in_the_rep_s_language(
    start_app: Callable[..., Awaitable[Any]], fake: FakeBotAPI, clock: FakeClock
) -> None:
    app = await start_app(**CALENDAR)
    rep = RepChat(app, fake, user_id=5003, first_name="Aino", language_code="fi", clock=clock)
    t = Translator("fi")
    await capture_in(rep, t, "Liisa Laine, Kone Oyj")
    storage, owner = storage_of(app), rep_id_of(app, rep)
    (liisa,) = storage.contacts.find_contacts(owner_id=owner, text="Liisa", offset=0, limit=5).items
    assert storage.contacts.set_birthday(owner_id=owner, contact_id=liisa.id, birthday=date(1904, 2, 29))
    address = await turn_on(rep, t)
    assert "yksityinen kalenteriosoitteesi" in sent_text(rep).lower()
    async with calendar_feeds(app) as http:
        _, body, _ = await fetch(http, address)
    event = events(body)[f"birthday-{liisa.id}@cal.example.org"]
    assert str(event["summary"]) == "🎂 Syntymäpäivä: Liisa Laine (Kone Oyj)"
    assert event.decoded("dtstart") == date(1904, 2, 29)
    # 29 February falls on February's last day in the years without one.
    assert event["rrule"] == {"FREQ": ["YEARLY"], "BYMONTH": [2], "BYMONTHDAY": [-1]}
    assert str(event["transp"]) == "TRANSPARENT"
    assert str(icalendar.Calendar.from_ical(body)["x-wr-calname"]) == "Prospect bot: yhteydenotot"


def sent_text(rep: RepChat) -> str:
    return next(
        message.text or "" for message in reversed(rep.messages) if _ADDRESS.search(message.text or "")
    )


async def capture_in(rep: RepChat, t: Translator, name: str) -> None:
    """The quick capture in the rep's language: "name, company", Finish, Tomorrow, Save."""
    await rep.send(name)
    await rep.press(t.plain("capture.finish"))
    await rep.press(t.plain("option.next.tomorrow"))
    await rep.press(t.plain("capture.save"))


async def test_an_unchanged_feed_is_a_304_by_etag_or_date_and_a_change_gives_a_new_etag(
    calendar_app: Any, maija: RepChat
) -> None:
    rep = maija
    await capture(rep, "Anna Virtanen, Acme Oy")
    address = await turn_on(rep, Translator("en"))
    async with calendar_feeds(calendar_app) as http:
        status, body, headers = await fetch(http, address)
        etag, modified = headers["ETag"], headers["Last-Modified"]
        assert status == 200 and re.fullmatch(r'"[0-9a-f]{32}"', etag)
        # The same body on every poll while nothing changed.
        assert (await fetch(http, address))[1] == body
        status, again, headers = await fetch(http, address, **{"If-None-Match": etag})
        assert (status, again, headers["ETag"], headers["Last-Modified"]) == (304, b"", etag, modified)
        assert (await fetch(http, address, **{"If-None-Match": f'"other", W/{etag}'}))[0] == 304
        assert (await fetch(http, address, **{"If-Modified-Since": modified}))[0] == 304
        assert (await fetch(http, address, **{"If-None-Match": '"stale"'}))[0] == 200

        calendar_app.bot_data.clock.advance(timedelta(minutes=5))
        await capture(rep, "Pekka Mäki")
        status, changed, headers = await fetch(http, address, **{"If-None-Match": etag})
        assert status == 200 and headers["ETag"] != etag and headers["Last-Modified"] != modified
        assert len(events(changed)) == 2
        assert (await fetch(http, address, **{"If-Modified-Since": modified}))[0] == 200
        assert (await fetch(http, address, **{"If-None-Match": headers["ETag"]}))[0] == 304


async def test_only_the_hash_of_the_token_is_stored(calendar_app: Any, maija: RepChat) -> None:
    rep = maija
    address = await turn_on(rep, Translator("en"))
    token = address.rsplit("/", 1)[1].removesuffix(".ics")
    assert len(token) >= 43  # 256 random bits in URL-safe base64
    with storage_of(calendar_app).engine.connect() as connection:
        rows = [dict(row) for row in connection.execute(sa.select(CalendarFeed.__table__)).mappings()]  # type: ignore[attr-defined]
        every_cell = " ".join(
            str(value)
            for table in ("calendar_feed", "rep", "interaction")
            for row in connection.execute(sa.text(f"SELECT * FROM {table}"))
            for value in row
        )
    assert [row["token_hash"] for row in rows] == [hashlib.sha256(token.encode()).hexdigest()]
    assert token not in every_cell


async def test_wrong_replaced_and_turned_off_addresses_are_404_and_never_logged(
    calendar_app: Any, maija: RepChat, operator_log: io.StringIO, caplog: pytest.LogCaptureFixture
) -> None:
    rep = maija
    settings = calendar_app.bot_data.settings
    configure_logging("DEBUG", secrets=secrets_of(settings), stream=operator_log)
    # Every record also as it was made, before the operator log's redaction (configure_logging replaced
    # the root's handlers, pytest's among them).
    logging.getLogger().addHandler(caplog.handler)
    t = Translator("en")
    await capture(rep, "Anna Virtanen, Acme Oy")
    first = await turn_on(rep, t)
    async with calendar_feeds(calendar_app) as http:
        assert (await fetch(http, first))[0] == 200
        for wrong in (
            first[:-5] + ("A" if first[-5] != "A" else "B") + ".ics",  # one character off
            first.replace(".ics", ""),
            first + "x",
            f"{PUBLIC}/calendar/{new_token()}.ics",
            f"{PUBLIC}/calendar/short.ics",
            f"{PUBLIC}/calendar/",
        ):
            assert (await fetch(http, wrong))[0] == 404, wrong

        # A new address: the old one stops working at once.
        await tap(rep, t.plain("calendar.new_address"))
        confirm = next(m for m in reversed(rep.messages) if "Make a new address?" in (m.text or ""))
        (yes, _cancel), *_ = rep.fake.buttons(confirm)
        await rep.press(t.plain("calendar.confirm_new_yes"), message=confirm)
        second = sent_address(rep)
        assert second != first
        assert (await fetch(http, first))[0] == 404
        assert (await fetch(http, second))[0] == 200
        # The confirmation tapped again (a double tap) makes no third address.
        assert yes[1] is not None
        alert = await rep.press_data(yes[1], message=confirm)
        assert alert == t.plain("calendar.already_new")
        assert sent_address(rep) == second and (await fetch(http, second))[0] == 200

        await rep.send("/settings")
        await rep.press(t.plain("settings.calendar_button"))
        assert "On, with the address made on Wed 25 Nov." in rep.last_text
        assert await rep.press(t.plain("calendar.turn_off")) == t.plain("calendar.turned_off")
        assert "It is off." in rep.last_text
        assert t.plain("calendar.turn_on") in rep.button_labels
        assert (await fetch(http, second))[0] == 404
        assert storage_of(calendar_app).calendar.feed_status(rep_id=rep_id_of(calendar_app, rep)) is None

    tokens = [address.rsplit("/", 1)[1].removesuffix(".ics") for address in (first, second)]
    # The operator's log, at DEBUG, as `python main.py` writes it: the bot's work is there, no token.
    written = operator_log.getvalue()
    assert "sendMessage" in written
    assert not any(token in written for token in tokens)
    # Before any redaction: neither the web server nor the bot's own code says a word about a feed.
    assert any(record.name.startswith("handlers") for record in caplog.records)
    for record in caplog.records:
        if record.name.startswith(("aiohttp", "runtime", "handlers", "storage", "bot")):
            logged = record.getMessage() + (record.exc_text or "")
            assert not any(token in logged for token in tokens), f"{record.name} logged a calendar token"
            assert "/calendar/" not in logged, f"{record.name} logged a feed's path"


async def test_settings_offer_no_calendar_where_no_web_server_serves_it(rep: RepChat) -> None:
    await rep.send("/settings")
    assert Translator("en").plain("settings.calendar_button") not in rep.button_labels


async def test_a_double_tap_on_turn_on_sends_one_address(calendar_app: Any, maija: RepChat) -> None:
    rep = maija
    t = Translator("en")
    await rep.send("/settings")
    await rep.press(t.plain("settings.calendar_button"))
    off = rep.last_with_buttons
    await rep.press(t.plain("calendar.turn_on"), message=off)
    first = sent_address(rep)
    # The same "Turn on" again (a double tap, or on another replica).
    await rep.press_data("cal:on", message=off)
    assert "On, with the address made on" in (rep.fake.message(rep.user_id, off.message_id).text or "")
    assert sent_address(rep) == first
    assert len([m for m in rep.messages if _ADDRESS.search(m.text or "")]) == 1


async def test_the_webhook_server_serves_the_feeds_at_the_webhook_s_address(
    settings: Settings, fake: FakeBotAPI, clock: FakeClock
) -> None:
    hooked = settings.model_copy(
        update={
            "webhook_url": "https://hook.example.net/telegram/hook",
            "webhook_secret": SecretStr("s3cret_Token-for-the-tests"),
            "listen": "127.0.0.1",
            "port": 0,
        }
    )
    application = build_application(hooked, request=fake.request(), clock=clock)
    server = await start_webhook(application, hooked)
    try:
        rep = RepChat(application, fake, user_id=5004, first_name="Kari", language_code="nb", clock=clock)
        t = Translator("nb")
        await capture_in(rep, t, "Kari Nordmann, Fjord AS")
        address = await turn_on(rep, t)
        assert address.startswith("https://hook.example.net/calendar/")
        async with aiohttp.ClientSession(base_url=f"http://127.0.0.1:{server.port}") as http:
            status, body, _ = await fetch(http, address)
        assert status == 200
        (event,) = events(body).values()
        assert str(event["summary"]) == "Følg opp: Kari Nordmann (Fjord AS)"
    finally:
        await server.stop()


async def test_long_polling_serves_the_feeds_on_calendar_port(
    settings: Settings, fake: FakeBotAPI, clock: FakeClock
) -> None:
    application = build_application(settings.model_copy(update=CALENDAR), request=fake.request(), clock=clock)
    polling = await start_polling(application, poll_timeout=1, retry_first=0.01, retry_max=0.05)
    try:
        assert polling.calendar is not None
        port = polling.calendar.addresses[0][1]
        rep = RepChat(application, fake, user_id=5005, first_name="Maija", clock=clock)
        address = await turn_on(rep, Translator("en"))
        async with aiohttp.ClientSession(base_url=f"http://127.0.0.1:{port}") as http:
            status, body, _ = await fetch(http, address)
        assert status == 200 and events(body) == {}
    finally:
        await stop_polling(application, polling)
    assert polling.calendar is None
