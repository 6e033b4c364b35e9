"""Typed dates end to end, as reps type them in their own language: what the bot echoes, what it stores,
what it refuses and offers instead, and the time zone taken from a shared location."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot.i18n import Translator
from storage.contacts import ContactOrder
from tests.factories import FakeClock, RepChat, storage_of
from tests.fake_bot_api import FakeBotAPI, parse_html


def visible(html: str) -> str:
    return parse_html(html).text


def stored_rep(app: Any, rep: RepChat) -> Any:
    return storage_of(app).reps.get_rep(telegram_id=rep.user_id)


def next_due(app: Any, rep: RepChat) -> datetime | None:
    owner = stored_rep(app, rep).id
    contacts = storage_of(app).contacts
    page = contacts.list_contacts(owner_id=owner, status="lead", order=ContactOrder.NEWEST, offset=0, limit=5)
    [item] = page.items
    contact = contacts.get_contact(owner_id=owner, contact_id=item.id)
    assert contact is not None
    return contact.next_due


async def rep_in(app: Any, fake: FakeBotAPI, clock: FakeClock, code: str, zone: str, user_id: int) -> RepChat:
    rep = RepChat(app, fake, user_id=user_id, first_name="Kim", language_code=code, clock=clock)
    await rep.send("/help")
    storage_of(app).reps.update_rep(rep_id=stored_rep(app, rep).id, timezone=zone)
    return rep


async def to_the_date_question(rep: RepChat, t: Translator) -> None:
    await rep.send("Anna Virtanen, Acme Oy")
    await rep.press(t.plain("capture.finish"))
    await rep.press(t.plain("option.next.date"))


# Wednesday 25 November 2026, 13:00 UTC (the clock's start): each rep types the next step in their own
# words and zone, and must see exactly what was understood, then find that instant stored.
TYPED = [
    (
        "en",
        "America/New_York",
        "tomorrow at 3",
        "Thu, Nov 26, 3:00 PM (tomorrow)",
        datetime(2026, 11, 26, 20),
    ),
    (
        "fi",
        "Europe/Helsinki",
        "huomenna aamulla klo 9",
        "to 26.11. 9.00 (huomenna)",
        datetime(2026, 11, 26, 7),
    ),
    (
        "no",
        "Europe/Oslo",
        "i morgen klokka 14",
        "tor. 26. nov., 14:00 (i morgen)",
        datetime(2026, 11, 26, 13),
    ),
    ("hu", "Europe/Budapest", "holnap du. 2-kor", "nov. 26., Cs 14:00 (holnap)", datetime(2026, 11, 26, 13)),
    ("fr", "Europe/Paris", "demain à 14 heures", "jeu. 26 nov., 14:00 (demain)", datetime(2026, 11, 26, 13)),
]


@pytest.mark.parametrize("tapped", [True, False], ids=["after Type a date", "at the question"])
@pytest.mark.parametrize(("code", "zone", "typed", "echo", "due"), TYPED)
async def test_a_typed_time_in_a_capture_is_echoed_and_stored_as_meant(
    app: Any,
    fake: FakeBotAPI,
    clock: FakeClock,
    code: str,
    zone: str,
    typed: str,
    echo: str,
    due: datetime,
    tapped: bool,
) -> None:
    # Typed after "📅 Type a date", or straight at "Next step?": there it is a date, not a new contact's name.
    rep = await rep_in(app, fake, clock, code, zone, user_id=8100 + 50 * tapped + ord(code[0]) + ord(code[1]))
    t = Translator(stored_rep(app, rep).language)
    if tapped:
        await to_the_date_question(rep, t)
    else:
        await rep.send("Anna Virtanen, Acme Oy")
        await rep.press(t.plain("capture.finish"))
    await rep.send(typed)
    assert rep.last_text.startswith(visible(t("dates.understood", when=echo)))
    await rep.press(t.plain("capture.save"))
    assert next_due(app, rep) == due.replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("code", "name", "start"), [("nb", "Tor", "➕ Registrer Tor"), ("fr", "Sam", "➕ Saisir Sam")]
)
async def test_a_first_name_that_is_also_a_weekday_abbreviation_is_offered_as_a_new_capture(
    app: Any, fake: FakeBotAPI, clock: FakeClock, code: str, name: str, start: str
) -> None:
    # "Tor" is torsdag's abbreviation and "Sam" samedi's: alone at "Next step?", they are the next person.
    rep = await rep_in(app, fake, clock, code, "Europe/Oslo", user_id=8180 + ord(code[0]))
    t = Translator(code)
    await rep.send("Anna Virtanen, Acme Oy")
    await rep.press(t.plain("capture.finish"))
    await rep.send(name)
    assert start in rep.button_labels
    assert storage_of(app).drafts.get_open_draft(owner_id=stored_rep(app, rep).id).answers.next_due is None


@pytest.mark.parametrize(("code", "typed"), [("fi", "25.12.2026"), ("hu", "2026.12.25."), ("fi", "100 000")])
async def test_a_date_or_an_amount_typed_alone_is_not_taken_for_a_phone_number(
    app: Any, fake: FakeBotAPI, clock: FakeClock, code: str, typed: str
) -> None:
    rep = await rep_in(app, fake, clock, code, "Europe/Helsinki", user_id=8190 + len(typed))
    await rep.send(typed)
    assert "📞" not in rep.last_text
    draft = storage_of(app).drafts.get_open_draft(owner_id=stored_rep(app, rep).id)
    assert draft is not None and draft.answers.phone is None


async def test_a_day_month_that_has_passed_asks_about_next_year(
    app: Any, fake: FakeBotAPI, clock: FakeClock
) -> None:
    clock.now = datetime(2026, 12, 2, 8, tzinfo=UTC)  # Wednesday 2 December, 10:00 in Helsinki
    rep = await rep_in(app, fake, clock, "en", "Europe/Helsinki", user_id=8201)
    await to_the_date_question(rep, Translator("en"))
    await rep.send("1.12. 10:00")
    assert rep.last_text.startswith(
        "⚠️ Tue 1 Dec, 10:00 has already passed this year. "
        "Did you mean next year, Wed, 1 Dec 2027, 10:00 (in 1 year)?"
    )
    assert "When? Type a date and time" in rep.last_text  # asked again, with the examples
    await rep.press("✓ Yes, next year")
    assert rep.last_text.startswith("🗓 Understood: Wed, 1 Dec 2027, 10:00 (in 1 year).")
    assert "Next step: Wed, 1 Dec 2027, 10:00" in rep.last_text  # the summary card shows the year too
    await rep.press("✅ Save")
    assert next_due(app, rep) == datetime(2027, 12, 1, 8, tzinfo=UTC)


async def test_an_impossible_date_is_refused_and_nothing_is_guessed(
    app: Any, fake: FakeBotAPI, clock: FakeClock
) -> None:
    rep = await rep_in(app, fake, clock, "en", "America/Chicago", user_id=8202)
    await to_the_date_question(rep, Translator("en"))
    await rep.send("1.13. 10")
    assert rep.last_text.startswith("⚠️ “1.13. 10” is not a real date: there is no such day or month.")
    assert "When? Type a date and time" in rep.last_text
    draft = storage_of(app).drafts.get_open_draft(owner_id=stored_rep(app, rep).id)
    assert draft is not None and draft.answers.next_due is None
    # The American way of writing a date, which used to become the year 2115.
    await rep.send("12/15 2pm")
    assert rep.last_text.startswith("🗓 Understood: Tue, Dec 15, 2:00 PM (in 3 weeks).")
    await rep.press("✅ Save")
    assert next_due(app, rep) == datetime(2026, 12, 15, 20, tzinfo=UTC)


async def test_a_typed_reschedule_that_has_passed_offers_next_year(
    app: Any, fake: FakeBotAPI, clock: FakeClock
) -> None:
    rep = await rep_in(app, fake, clock, "fi", "Europe/Helsinki", user_id=8203)
    await to_the_date_question(rep, Translator("fi"))
    await rep.send("huomenna klo 10")
    await rep.press("✅ Tallenna")
    clock.now = datetime(2026, 11, 26, 8, tzinfo=UTC)
    await app.bot_data.dispatcher.run_once()
    await rep.press("📅 Siirrä")
    await rep.send("20.11. klo 10")
    assert rep.last_text.startswith("⚠️ pe 20.11. 10.00 on jo mennyt tänä vuonna.")
    await rep.press("✓ Kyllä, ensi vuonna")
    assert "la 20.11.2027 10.00" in rep.last_text
    assert next_due(app, rep) == datetime(2027, 11, 20, 8, tzinfo=UTC)


async def test_a_shared_location_sets_the_time_zone(app: Any, fake: FakeBotAPI, clock: FakeClock) -> None:
    rep = RepChat(app, fake, user_id=8301, first_name="Kim", language_code="en", clock=clock)
    await rep.send("/start")
    [hint] = [call for call in fake.calls("sendMessage") if "share your location" in call.params["text"]]
    [[share]] = hint.params["reply_markup"]["keyboard"]
    assert share == {"text": "📍 Share my location", "request_location": True}
    await rep.send_location(60.1699, 24.9384)  # Helsinki
    assert stored_rep(app, rep).timezone == "Europe/Helsinki"
    found = fake.calls("sendMessage")[-2].params
    assert found["text"] == "📍 Time zone from your location: <b>Helsinki</b>."
    assert found["reply_markup"] == {"remove_keyboard": True}
    assert "Time zone: Helsinki." in rep.last_text and "digest" in rep.last_text
    await rep.press("08:00")
    assert "All set" in rep.last_text
    assert fake.calls("sendMessage")[-1].params["reply_markup"] == {"remove_keyboard": True}


async def test_a_location_at_sea_asks_for_a_city(app: Any, fake: FakeBotAPI, clock: FakeClock) -> None:
    rep = RepChat(app, fake, user_id=8302, first_name="Kim", language_code="fr", clock=clock)
    await rep.send("/start")
    await rep.send_location(0.0, -160.0)
    assert rep.last_text.startswith("⚠️ Je n'ai pas trouvé de fuseau horaire pour cette position.")
    assert stored_rep(app, rep).timezone == "UTC"


async def test_an_english_rep_in_helsinki_gets_a_helsinki_button(
    app: Any, fake: FakeBotAPI, clock: FakeClock
) -> None:
    rep = RepChat(app, fake, user_id=8303, first_name="Kim", language_code="en", clock=clock)
    await rep.send("/start")
    assert "Helsinki (15:00)" in rep.button_labels
    await rep.press("Helsinki")
    assert stored_rep(app, rep).timezone == "Europe/Helsinki"


async def test_the_deployments_zone_is_offered_first(
    start_app: Any, fake: FakeBotAPI, clock: FakeClock
) -> None:
    app = await start_app(default_timezone="Europe/Vienna")
    rep = RepChat(app, fake, user_id=8304, first_name="Kim", language_code="fi", clock=clock)
    await rep.send("/start")
    assert rep.button_labels[:2] == ["Wien (14.00)", "Helsinki (15.00)"]


async def test_a_birthday_without_a_year_never_shows_one(
    app: Any, fake: FakeBotAPI, clock: FakeClock
) -> None:
    rep = await rep_in(app, fake, clock, "hu", "Europe/Budapest", user_id=8305)
    t = Translator("hu")
    await to_the_date_question(rep, t)
    await rep.send("holnap 10-kor")
    await rep.press(t.plain("capture.save"))
    await rep.press(t.plain("capture.open_card"))
    await rep.press(t.plain("cardaction.bd"))
    await rep.send("12.3.")  # nap.hónap., as the prompt asks: 12 March
    assert "március 12." in rep.last_text
    owner = stored_rep(app, rep).id
    contacts = storage_of(app).contacts
    [item] = contacts.list_contacts(
        owner_id=owner, status="lead", order=ContactOrder.NEWEST, offset=0, limit=5
    ).items
    contact = contacts.get_contact(owner_id=owner, contact_id=item.id)
    assert contact is not None and (contact.birthday.month, contact.birthday.day) == (3, 12)
    assert "1904" not in rep.last_text  # not on the card, nor in its history
