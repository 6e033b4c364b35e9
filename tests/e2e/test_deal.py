"""A deal's value and close month, as a rep gives them in a capture and on the card, and reads them back
on the card, in a list by value, in /stats and in the export: in English (euros) and Hungarian (forints)."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from typing import Any

import sqlalchemy as sa

from bot.text_keys import search_key
from handlers.kit.buttons import CardButton
from storage.models import Contact
from tests.factories import FakeClock, RepChat, add_contacts, storage_of
from tests.fake_bot_api import FakeBotAPI

NBSP = "\u00a0"  # what Hungarian puts between the digits' groups and before Ft


def deal_columns(app: Any, owner_id: int) -> list[tuple[Any, ...]]:
    """The deal as stored: name, value in minor units, currency and close month, by id."""
    query = (
        sa.select(Contact.name, Contact.value_minor, Contact.currency, Contact.close_month)  # type: ignore[call-overload]
        .where(Contact.owner_id == owner_id)
        .order_by(Contact.id)
    )
    with storage_of(app).engine.connect() as connection:
        return [tuple(row) for row in connection.execute(query)]


def owner_of(app: Any, rep: RepChat) -> int:
    stored = storage_of(app).reps.get_rep(telegram_id=rep.user_id)
    assert stored is not None
    return stored.id


async def registered(app: Any, fake: FakeBotAPI, clock: FakeClock, user_id: int, language: str) -> RepChat:
    rep = RepChat(app, fake, user_id=user_id, first_name="Kim", language_code=language, clock=clock)
    await rep.send("/start")
    for _ in range(2):  # the zone and the digest time, as they are
        await rep.press(rep.button_labels[-1])
    return rep


async def test_a_capture_with_a_budget_asks_the_value_and_the_close_month(rep: RepChat, app: Any) -> None:
    await rep.send("Anna Virtanen, Acme Oy")
    for label in ("Yes", "Yes", "Decision-maker", "< 1 month", "Yes"):
        await rep.press(label)
    assert "Deal value? Type the amount in EUR" in rep.last_text
    assert "Skip" in rep.button_labels
    # Words are not an amount: said so, the question again, and nothing of the capture lost.
    await rep.send("twelve grand")
    assert rep.last_text.startswith("I couldn't read “twelve grand” as an amount. Type it in EUR")
    assert "Deal value?" in rep.last_text
    await rep.send("12k USD")
    assert rep.last_text.startswith("Your deal values are in EUR")
    await rep.send("-5")
    assert rep.last_text.startswith("A deal is worth more than zero: type its value in EUR")
    await rep.send("12,5k €")
    assert "Expected close? In which month should the deal close?" in rep.last_text
    assert rep.button_labels[:6] == ["Nov 2026", "Dec 2026", "Jan 2027", "Feb 2027", "Mar 2027", "Apr 2027"]
    await rep.press("Feb 2027")
    assert "Source?" in rep.last_text
    await rep.press("⏩ Finish")
    await rep.press("Tomorrow")
    summary = rep.last_text
    assert "Deal: €12,500 · weighted €3,750 (30%)" in summary
    assert "Expected close: Feb 2027" in summary
    await rep.press("✅ Save")
    owner = owner_of(app, rep)
    assert deal_columns(app, owner) == [("Anna Virtanen", 1_250_000, "EUR", date(2027, 2, 1))]

    # The card shows it, and its Deal button changes it: a typed value, a tapped month.
    await rep.press("Open card")
    assert "Deal: €12,500 · weighted €3,750 (30%)" in rep.last_text
    await rep.press("💶 Deal")
    assert "Value: €12,500 · Close: Feb 2027" in rep.last_text
    await rep.send("40 000")
    assert "Deal value saved." in rep.last_text and "Deal: €40,000 · weighted €12,000 (30%)" in rep.last_text
    await rep.press("💶 Deal")
    await rep.press("Dec 2026")
    assert "Expected close: Dec 2026" in rep.last_text
    assert deal_columns(app, owner) == [("Anna Virtanen", 4_000_000, "EUR", date(2026, 12, 1))]
    # The month chosen is marked, the year ahead offered; clearing the value says so.
    await rep.press("💶 Deal")
    assert "✓ Dec 2026" in rep.button_labels and "Oct 2027" in rep.button_labels
    await rep.press(next(label for label in rep.button_labels if "value" in label.lower()))
    assert "Deal value cleared." in rep.last_text
    assert deal_columns(app, owner) == [("Anna Virtanen", None, None, date(2026, 12, 1))]
    await rep.press("💶 Deal")
    await rep.send("40 000")
    # The history says what changed, as money.
    await rep.press("🕘 History")
    assert "Deal value: €12,500 → €40,000" in rep.last_text


async def test_without_a_budget_the_deal_is_not_asked_and_skip_is_one_tap(rep: RepChat, app: Any) -> None:
    await rep.send("Pekka Salo, Nokia")
    for label in ("Yes", "Don't know", "Influencer", "3–12 months", "Yes"):
        await rep.press(label)
    assert "Source?" in rep.last_text
    await rep.send("/cancel")
    await rep.send("Liisa Koski, Kone")
    for label in ("Yes", "Yes", "Influencer", "3–12 months", "Yes"):
        await rep.press(label)
    await rep.press("Skip")  # the value: and so no close month either
    assert "Source?" in rep.last_text
    await rep.press("⏩ Finish")
    await rep.press("Tomorrow")
    assert "Deal:" not in rep.last_text
    await rep.press("✅ Save")
    assert deal_columns(app, owner_of(app, rep)) == [("Liisa Koski", None, None, None)]


async def test_a_list_sorts_by_value_and_the_export_carries_the_deal(
    rep: RepChat, app: Any, fake: FakeBotAPI, clock: FakeClock
) -> None:
    await rep.send("/start")
    storage = storage_of(app)
    owner = owner_of(app, rep)
    add_contacts(
        storage.engine,
        owner,
        clock.now,
        1,
        name="Small",
        name_key="small",
        value_minor=50_000,
        currency="EUR",
    )
    add_contacts(storage.engine, owner, clock.now, 1, name="None", name_key="none")
    add_contacts(
        storage.engine,
        owner,
        clock.now,
        1,
        name="Big",
        name_key="big",
        value_minor=9_000_000,
        currency="EUR",
        close_month=date(2027, 1, 1),
    )
    await rep.send("/prospects")
    for label in ("Sort by score", "Sort by newest", "Sort by value"):
        await rep.press(label)
    listed = rep.last_text
    assert "biggest deal first" in listed
    assert listed.index("Big") < listed.index("Small") < listed.index("None")
    assert "💶 €90,000" in listed and "💶 €500" in listed

    await rep.send("/export")
    await rep.press(rep.button_labels[-1])
    exported = next(
        call.params["document"].content
        for call in fake.calls("sendDocument")
        if call.params["document"].filename.endswith(".csv")
    )
    rows = {row["Name"]: row for row in csv.DictReader(io.StringIO(exported.decode("utf-8-sig")))}
    assert (rows["Big"]["Deal value"], rows["Big"]["Currency"], rows["Big"]["Close month"]) == (
        "90000.00",
        "EUR",
        "2027-01",
    )
    assert (rows["None"]["Deal value"], rows["None"]["Currency"], rows["None"]["Close month"]) == ("", "", "")


async def test_a_hungarian_rep_gives_a_value_in_forints_and_reads_the_forecast(
    app: Any, fake: FakeBotAPI, clock: FakeClock, rep: RepChat
) -> None:
    hu = await registered(app, fake, clock, 7301, "hu")
    storage = storage_of(app)
    owner = owner_of(app, hu)
    add_contacts(
        storage.engine, owner, clock.now, 1, status="lead", name="Kovács Anna", name_key="kovacs anna"
    )
    deals = [
        ("Nagy Péter", "prospect", 4_000_000, date(2027, 2, 1)),
        ("Tóth Gábor", "lead", 9_000_000, date(2027, 9, 1)),  # after the next quarter: told, not left out
        ("Szabó Éva", "prospect", 1_000_000, None),
        ("Kiss Béla", "prospect", 2_000_000, date(2026, 6, 1)),  # passed, still open: told, not left out
    ]
    for name, status, value, close_month in deals:
        key = search_key(name)
        add_contacts(
            storage.engine,
            owner,
            clock.now,
            1,
            name=name,
            name_key=key,
            search_text=key,
            status=status,
            value_minor=value,
            currency="HUF",
            close_month=close_month,
        )
    await hu.send("/find virtanen")  # add_contacts' search text for the first
    await hu.press("1.")
    await hu.press("💶 Üzlet")
    assert "HUF" in hu.last_text
    await hu.send("sok pénz")
    assert hu.last_text.startswith("A(z) „sok pénz” szöveget nem tudtam összegként értelmezni.")
    await hu.send("2,5 millió Ft")
    assert f"Üzlet: 2{NBSP}500{NBSP}000{NBSP}Ft · súlyozva 250{NBSP}000{NBSP}Ft (10%)" in hu.last_text
    await hu.press("💶 Üzlet")
    await hu.press("2026. dec.")
    assert "Várható lezárás: 2026. dec." in hu.last_text
    assert deal_columns(app, owner)[0][1:] == (2_500_000, "HUF", date(2026, 12, 1))

    # A Deal button naming another rep's contact is refused as any foreign id is, and changes nothing.
    await rep.send("/start")
    add_contacts(storage.engine, owner_of(app, rep), clock.now, 1)
    foreign = deal_columns(app, owner_of(app, rep))
    [theirs] = storage.contacts.find_contacts(
        owner_id=owner_of(app, rep), text="virtanen", offset=0, limit=1
    ).items
    for forged in (
        CardButton(theirs.id, "dm", ("202612",)),
        CardButton(theirs.id, "dx"),
        CardButton(theirs.id, "dl"),
    ):
        assert await hu.press_data(forged.pack()) == "Ez a kapcsolat nincs a listádon."
    assert deal_columns(app, owner_of(app, rep)) == foreign

    await hu.send("/stats")
    text = hu.last.caption or hu.last_text
    # Forints have no minor unit: 4 000 000 stored is 4 000 000 Ft. The lead at 10 %, the prospects at 30 %.
    assert (
        f"Értékesítési tölcsér (HUF): Érdeklődő 11{NBSP}500{NBSP}000{NBSP}Ft (2) · "
        f"Potenciális ügyfél 7{NBSP}000{NBSP}000{NBSP}Ft (3) – súlyozva 3{NBSP}250{NBSP}000{NBSP}Ft"
    ) in text
    assert (
        f"Súlyozott előrejelzés a lezárás hónapja szerint: 2026. Q4 250{NBSP}000{NBSP}Ft (1) · "
        f"2027. Q1 1{NBSP}200{NBSP}000{NBSP}Ft (1) · később 900{NBSP}000{NBSP}Ft (1)"
    ) in text
    assert f"1 üzlet lezárási hónap nélkül, súlyozva 300{NBSP}000{NBSP}Ft: egyik negyedévben sem" in text
    assert (
        f"1 nyitott üzlet, amelynek lezárási hónapja elmúlt, súlyozva 600{NBSP}000{NBSP}Ft: egyik negyedévben"
        " sem, amíg nem kap újat"
    ) in text


async def test_settings_change_the_currency_of_new_values(rep: RepChat, app: Any) -> None:
    await rep.send("/settings")
    assert "Deal values in: EUR" in rep.last_text
    await rep.press("💶 Currency")
    await rep.press("NOK")
    assert "Deal values in: NOK" in rep.last_text
    await rep.send("Kari Nordmann, Fjord AS")
    for label in ("Yes", "Yes", "Decision-maker", "< 1 month", "Yes"):
        await rep.press(label)
    assert "Type the amount in NOK" in rep.last_text
    await rep.send("40 000 kr")
    await rep.press("Skip")  # the close month
    await rep.press("⏩ Finish")
    await rep.press("Tomorrow")
    assert "Deal: NOK40,000 · weighted NOK12,000 (30%)" in rep.last_text  # as Babel writes it
    await rep.press("✅ Save")
    assert deal_columns(app, owner_of(app, rep)) == [("Kari Nordmann", 4_000_000, "NOK", None)]


async def test_mydata_carries_the_deal_as_the_export_does(rep: RepChat, app: Any, fake: FakeBotAPI) -> None:
    await rep.send("Anna Virtanen, Acme Oy")
    for label in ("Yes", "Yes", "Decision-maker", "< 1 month", "Yes"):
        await rep.press(label)
    await rep.send("12 000")
    await rep.press("Mar 2027")
    await rep.press("⏩ Finish")
    await rep.press("Tomorrow")
    await rep.press("✅ Save")
    await rep.send("/mydata")
    data = json.loads(
        next(
            call.params["document"].content
            for call in fake.calls("sendDocument")
            if call.params["document"].filename == "prospect-bot-data.json"
        )
    )
    [anna] = data["contacts"]
    assert (anna["Deal value"], anna["Currency"], anna["Close month"]) == ("12000.00", "EUR", "2027-03")
    [stored] = data["stored"]["contact"]
    assert (stored["value_minor"], stored["currency"], stored["close_month"]) == (
        1_200_000,
        "EUR",
        "2027-03-01",
    )
