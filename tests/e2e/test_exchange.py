"""Export, import and /stats as a rep uses them: files that open where they should, imports that are
all or nothing, and the funnel as a picture with the same numbers as text."""

from __future__ import annotations

import asyncio
import csv
import io
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import icalendar
import pytest
import sqlalchemy as sa
import vobject

from bot.i18n import Translator
from tests.factories import FakeClock, RepChat, capture, storage_of
from tests.fake_bot_api import FakeBotAPI

NBSP = "\u00a0"


def documents(fake: FakeBotAPI) -> dict[str, bytes]:
    return {
        call.params["document"].filename: call.params["document"].content
        for call in fake.calls("sendDocument")
    }


async def wait_for_import(app: Any) -> None:
    """The import runs as a task beside update processing; wait until it is done."""
    for _ in range(3000):
        if not app.bot_data.running_imports:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the import did not finish")


class HeldImport:
    """An application's import held at its first check between chunks, until released: what a press on
    another replica does meanwhile is then seen while the import runs, not raced against it."""

    # The stop flag read between chunks (storage.exchange); nothing else selects these two columns alone.
    CHECK = "importbatch.state, importbatch.stop_requested"

    def __init__(self, app: Any) -> None:
        self.arrived, self.released = threading.Event(), threading.Event()
        self.engine = app.bot_data.engine
        sa.event.listen(self.engine, "before_cursor_execute", self._hold)

    def _hold(self, _connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if self.CHECK in statement and not self.arrived.is_set():
            self.arrived.set()
            self.released.wait(30)

    async def at_first_chunk(self) -> None:
        assert await asyncio.to_thread(self.arrived.wait, 30), "the import never reached its first chunk"


@contextmanager
def held_import(app: Any) -> Iterator[HeldImport]:
    held = HeldImport(app)
    try:
        yield held
    finally:
        # The listener stays (a no-op from now on): removing it while the import's thread is running the
        # engine's listeners would break that thread's iteration over them.
        held.released.set()


def people(count: int) -> bytes:
    rows = "\n".join(f"Person {index},Company {index % 50}" for index in range(count))
    return f"Name,Company\n{rows}\n".encode()


def contact_count(app: Any) -> int:
    with storage_of(app).engine.connect() as connection:
        return int(connection.exec_driver_sql("SELECT count(*) FROM contact").scalar_one())


async def two_replicas(
    start_app: Callable[..., Awaitable[Any]], database_url: str, fake: FakeBotAPI, clock: FakeClock
) -> tuple[Any, RepChat, Any, RepChat]:
    """Two Applications on one database, as two replicas, and the same rep's chat through each."""
    first, second = await start_app(database_url=database_url), await start_app(database_url=database_url)
    return (
        first,
        RepChat(first, fake, user_id=5001, first_name="Maija", clock=clock),
        second,
        RepChat(second, fake, user_id=5001, first_name="Maija", clock=clock),
    )


ALREADY_RUNNING = "This import is already under way."
ALREADY_DONE = "This file was already imported. /undoimport takes it back."


@pytest.mark.postgres
async def test_a_double_tap_reaching_two_replicas_imports_once_and_the_second_tap_is_told(
    start_app: Callable[..., Awaitable[Any]], postgres_url: str, fake: FakeBotAPI, clock: FakeClock
) -> None:
    first, on_first, second, on_second = await two_replicas(start_app, postgres_url, fake, clock)
    await on_first.send_document(people(3_000), "people.csv")
    preview, tap = on_first.last_with_buttons, on_first.button_data("📥 Import")
    with held_import(first) as held:
        assert await on_first.press_data(tap, message=preview) is None
        await held.at_first_chunk()
        assert await on_second.press_data(tap, message=preview) == ALREADY_RUNNING
    await wait_for_import(first)
    assert await on_second.press_data(tap, message=preview) == ALREADY_DONE
    assert not second.bot_data.running_imports
    assert contact_count(first) == 3_000
    done = [message.text for message in on_first.messages if "Imported." in (message.text or "")]
    assert done == ["✅ Imported. New: 3000 · merged: 0 · skipped: 0. /undoimport takes it back."]


@pytest.mark.postgres
async def test_stop_pressed_on_another_replica_stops_the_import(
    start_app: Callable[..., Awaitable[Any]], postgres_url: str, fake: FakeBotAPI, clock: FakeClock
) -> None:
    first, on_first, _second, on_second = await two_replicas(start_app, postgres_url, fake, clock)
    await on_first.send_document(people(20_000), "people.csv")
    batch = on_first.button_data("📥 Import").split(":")[1]
    with held_import(first) as held:
        await on_first.press("📥 Import")
        await held.at_first_chunk()
        progress = on_first.last_with_buttons
        assert await on_second.press_data(f"im:{batch}:stop", message=progress) == "Stopping…"
    await wait_for_import(first)
    assert "Import stopped. Nothing was imported." in on_first.last_text
    assert contact_count(first) == 0
    # The batch is over: its buttons do nothing more, on either replica.
    assert await on_first.press_data(f"im:{batch}:skip", message=progress) == (
        "This button has expired. Nothing was changed."
    )


async def test_export_csv_vcard_and_calendar(rep: RepChat, fake: FakeBotAPI) -> None:
    await capture(rep, "Aino Hämäläinen, =Kone", qualified=True)
    await capture(rep, "Pekka Salo, Nokia")
    await rep.send("/export")
    await rep.press("All")
    assert "2 contacts" in rep.last_text
    files = documents(fake)
    rows = list(csv.DictReader(io.StringIO(files["all.csv"].decode("utf-8-sig"))))
    assert {row["Name"] for row in rows} == {"Aino Hämäläinen", "Pekka Salo"}
    assert next(row for row in rows if row["Name"] == "Aino Hämäläinen")["Company"] == "'=Kone"
    cards = list(vobject.readComponents(files["all.vcf"].decode()))
    assert sorted(card.fn.value for card in cards) == ["Aino Hämäläinen", "Pekka Salo"]
    calendar = icalendar.Calendar.from_ical(files["follow-ups.ics"])
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 2 and {str(event["SUMMARY"]) for event in events} == {
        "Follow up: Aino Hämäläinen",
        "Follow up: Pekka Salo",
    }
    await rep.send("/export")
    await rep.press("Prospects")
    assert "1 contact: three files follow" in rep.last_text


async def test_an_import_round_trips_an_export(
    rep: RepChat, other_rep: RepChat, app: Any, fake: FakeBotAPI
) -> None:
    await capture(rep, "Aino Hämäläinen, Kone")
    await rep.send("/find aino")
    await rep.press("1.")
    await rep.press("✏️ Edit")
    await rep.press("Email")
    await rep.send("aino@kone.fi")
    await rep.send("/export")
    await rep.press("All")
    exported = documents(fake)["all.csv"]
    await other_rep.send_document(exported, "all.csv")
    assert "new contacts: 1" in other_rep.last_text and "already in your list or twice in the file: 0" in (
        other_rep.last_text
    )
    await other_rep.press("📥 Import")
    await wait_for_import(app)
    assert "Imported. New: 1" in other_rep.last_text
    await other_rep.send("/find hamalainen")
    await other_rep.press("1.")
    assert "Aino Hämäläinen, Kone" in other_rep.last_text and "aino@kone.fi" in other_rep.last_text


# What a rep in New York and one in Helsinki read in their export: headers, statuses and answers in their
# language, times in their zone with its offset, the tags, the notes and the next follow-up.
READ_BY_REP = {
    "en": {
        "city": "New York",
        "headers": (
            "Name, Company, Role, Phone, Email, Status, Lost reason, Score, Source, Buying stage, Need, "
            "Budget, Authority, Timeline, Market fit, Industry, Location, Company size, Purchase frequency, "
            "Purchase volume, Influence, Birthday, Tags, Notes, Next follow-up, Last contact, Created, "
            "Updated, Deal value, Currency, Close month"
        ),
        "row": {
            "Name": "Aino Hämäläinen",
            "Company": "Kone",
            "Status": "Prospect",
            "Lost reason": "",
            "Score": "97",
            "Source": "Cold call",
            "Need": "Yes",
            "Budget": "Yes",
            "Authority": "Decision-maker",
            "Timeline": "< 1 month",
            "Market fit": "Yes",
            "Tags": "trade fair, VIP",
            "Notes": "2026-11-25 08:00 Meeting: Wants a demo in January",
            "Next follow-up": "2026-11-26T09:00:00-05:00",
            "Created": "2026-11-25T08:00:00-05:00",
            # A rep in New York: dollars, unless /settings says otherwise.
            "Deal value": "12000.00",
            "Currency": "USD",
            "Close month": "2027-01",
        },
    },
    "fi": {
        "city": "Helsinki",
        "headers": (
            "Nimi, Yritys, Titteli, Puhelin, Sähköposti, Tila, Häviön syy, Pisteet, Lähde, Ostovaihe, "
            "Tarve, Budjetti, Päätösvalta, Aikataulu, Kohdemarkkina, Toimiala, Sijainti, Yrityksen koko, "
            "Ostotiheys, Ostovolyymi, Vaikutusvalta, Syntymäpäivä, Tunnisteet, Muistiinpanot, "
            "Seuraava yhteydenotto, Viimeisin yhteydenpito, Luotu, Päivitetty, Kaupan arvo, Valuutta, "
            "Kauppakuukausi"
        ),
        "row": {
            "Nimi": "Aino Hämäläinen",
            "Yritys": "Kone",
            "Tila": "Prospekti",
            "Häviön syy": "",
            "Pisteet": "97",
            "Lähde": "Kylmäsoitto",
            "Tarve": "Kyllä",
            "Budjetti": "Kyllä",
            "Päätösvalta": "Päätöksentekijä",
            "Aikataulu": "Alle kuukausi",
            "Kohdemarkkina": "Kyllä",
            "Tunnisteet": "trade fair, VIP",
            "Muistiinpanot": "2026-11-25 15:00 Tapaaminen: Wants a demo in January",
            "Seuraava yhteydenotto": "2026-11-26T09:00:00+02:00",
            "Luotu": "2026-11-25T15:00:00+02:00",
            "Kaupan arvo": "12000.00",
            "Valuutta": "EUR",
            "Kauppakuukausi": "2027-01",
        },
    },
}


async def qualified_contact_with_tags(rep: RepChat, t: Translator, city: str) -> None:
    """A rep in `city` captures a prospect (every answer, a deal of 12 000 closing in January, a cold call,
    a note, tomorrow) and tags it."""
    await rep.send("/start")
    await rep.press(t.plain("onboarding.type_zone"))
    await rep.send(city)
    await rep.press(t.plain("common.skip"))
    await rep.send("Aino Hämäläinen, Kone")
    for step, option in (
        ("need", "yes"),
        ("budget", "yes"),
        ("authority", "decider"),
        ("timeline", "lt1m"),
        ("fit", "yes"),
    ):
        await rep.press(t.plain(f"option.{step}.{option}"))
    await rep.send("12 000")
    await rep.press(rep.button_labels[2])  # this month, the next, then January
    await rep.press(t.plain("option.source.cold_call"))
    await rep.send("Wants a demo in January")
    await rep.press(t.plain("option.next.tomorrow"))
    await rep.press(t.plain("capture.save"))
    await rep.send("/find aino")
    await rep.press("1.")
    await rep.press(t.plain("cardaction.tg"))
    await rep.send("VIP, trade fair")


@pytest.mark.parametrize("language", ["en", "fi"])
async def test_an_export_reads_in_the_reps_words_and_zone_and_imports_again(
    app: Any, fake: FakeBotAPI, clock: FakeClock, language: str
) -> None:
    t, expected = Translator(language), READ_BY_REP[language]
    rep = RepChat(app, fake, user_id=5101, language_code=language, clock=clock)
    await qualified_contact_with_tags(rep, t, str(expected["city"]))
    await rep.send("/export")
    await rep.press(t.plain("export.all"))
    exported = documents(fake)["all.csv"]
    [row] = list(csv.DictReader(io.StringIO(exported.decode("utf-8-sig"))))
    assert ", ".join(row) == expected["headers"]
    assert {header: row[header] for header in expected["row"]} == expected["row"]
    for code in ("lt1m", "decider", "cold_call", "prospect", "meeting", "yes"):
        assert code not in row.values()
    [card] = list(vobject.readComponents(documents(fake)["all.vcf"].decode()))
    assert card.note.value == row[t.plain("export.column.notes")]

    # Another rep of the same language imports the file: source, tags and note come with the contact.
    colleague = RepChat(app, fake, user_id=5102, language_code=language, clock=clock)
    await colleague.send_document(exported, "all.csv")
    await colleague.press(t.plain("import.go"))
    await wait_for_import(app)
    await colleague.send("/export")
    await colleague.press(t.plain("export.all"))
    [again] = list(csv.DictReader(io.StringIO(documents(fake)["all.csv"].decode("utf-8-sig"))))
    for column in ("name", "company", "source", "tags", "value", "currency", "close_month"):
        header = t.plain(f"export.column.{column}")
        assert again[header] == row[header]
    assert "Wants a demo in January" in again[t.plain("export.column.notes")]


async def test_a_phone_and_a_company_come_back_from_an_export_without_the_formula_guard(
    rep: RepChat, other_rep: RepChat, app: Any, fake: FakeBotAPI
) -> None:
    await capture(rep, "Aino Hämäläinen, =Kone")
    await rep.send("/find aino")
    await rep.press("1.")
    await rep.press("✏️ Edit")
    await rep.press("Phone")
    await rep.send("+358 45 712 3394")
    await rep.send("/export")
    await rep.press("All")
    exported = documents(fake)["all.csv"]
    row = next(csv.DictReader(io.StringIO(exported.decode("utf-8-sig"))))
    # Guarded in the file, as a spreadsheet must not run them (the phone in its one stored form, E.164)...
    assert (row["Phone"], row["Company"]) == ("'+358457123394", "'=Kone")
    await other_rep.send_document(exported, "all.csv")
    await other_rep.press("📥 Import")
    await wait_for_import(app)
    # ...and given back as they were when the file comes back.
    await other_rep.send("/find 712 3394")
    await other_rep.press("1.")
    assert "+358 45 7123394" in other_rep.last_text and "'" not in other_rep.last_text
    with storage_of(app).engine.connect() as connection:
        imported = "SELECT phone, company FROM contact JOIN rep ON rep.id = owner_id WHERE telegram_id = 5002"
        stored = connection.execute(sa.text(imported)).one()
    assert tuple(stored) == ("+358457123394", "=Kone")


async def test_undoing_a_merge_takes_its_note_and_tags_out_of_find(rep: RepChat, app: Any) -> None:
    await capture(rep, "Aino Hämäläinen")
    await rep.send_document(
        "Name,Company,Notes,Tags\nAino Hämäläinen,Kone,Wants the premium plan,vip\n".encode(), "aino.csv"
    )
    await rep.press("Merge duplicates")
    await wait_for_import(app)
    for found in ("premium", "vip", "kone"):
        await rep.send(f"/find {found}")
        assert "Aino Hämäläinen" in rep.last_text, found
    await rep.send("/undoimport")
    assert rep.last_text == "↩️ The last import is undone: 0 contacts removed, merged details restored."
    for gone in ("premium", "vip", "kone"):
        await rep.send(f"/find {gone}")
        assert rep.last_text == f"Nothing found for “{gone}”.", gone
    await rep.send("/find aino")
    await rep.press("1.")
    assert "vip" not in rep.last_text and "premium" not in rep.last_text


CRM_EXPORT = (
    "First Name,Last Name,Company Name,Email,Phone,Notes\r\n"
    'Jean,Dupont,Renault,jean@renault.fr,+33 6 12 34 56 78,"Wants a demo,\r\nthen a quote"\r\n'
    "Aino,Hämäläinen,Kone,aino@kone.fi,,\r\n"
    "Bad,Mail,X,not-an-email,,\r\n"
    ",,Nameless Oy,,,\r\n"
)


@pytest.mark.parametrize(
    ("encoding", "delimiter"),
    [("utf-8", ","), ("utf-8-sig", ";"), ("cp1252", ";"), ("utf-16", "\t")],
)
async def test_imports_in_other_encodings_and_delimiters_merge_duplicates(
    rep: RepChat, app: Any, encoding: str, delimiter: str
) -> None:
    await capture(rep, "Aino Hämäläinen")
    content = CRM_EXPORT.replace(",", delimiter).replace("Wants a demo" + delimiter, "Wants a demo,")
    await rep.send_document(content.encode(encoding), "contacts.csv")
    preview = rep.last_text
    assert (
        "new contacts: 2" in preview
        and "already in your list or twice in the file: 1" in preview
        and "rows I can't use: 1" in preview
    )
    # The person with a bad email is imported, the email kept in the note; the row with no name is not.
    assert "row 4: the email is not valid; the value goes into the contact's note\n• row 5: no name" in (
        preview
    )
    await rep.press("Merge duplicates")
    await wait_for_import(app)
    assert "Imported. New: 2 · merged: 1 · skipped: 0" in rep.last_text
    await rep.send("/find mail")
    await rep.press("1.")
    assert "Bad Mail, X" in rep.last_text and "Email: not-an-email" in rep.last_text
    await rep.send("/find dupont")
    await rep.press("1.")
    assert "Jean Dupont, Renault" in rep.last_text and "Wants a demo,\nthen a quote" in rep.last_text
    await rep.send("/find aino")
    await rep.press("1.")
    assert "Aino Hämäläinen, Kone" in rep.last_text  # the merge filled the empty company
    await rep.send("/undoimport")
    assert "2 contacts removed" in rep.last_text
    await rep.send("/find dupont")
    assert "Nothing found" in rep.last_text
    await rep.send("/find aino")
    await rep.press("1.")
    assert "Kone" not in rep.last_text  # the merged company was taken back


@pytest.mark.parametrize(
    ("content", "filename", "message"),
    [
        (b"", "empty.csv", "That file is empty"),
        (
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4,
            "photo.csv",
            "That is not a CSV file",
        ),
        (b"Name\n" + b"Someone\n" * 50_001, "huge.csv", "more than 50,000 rows"),
    ],
)
async def test_bad_files_are_refused_with_a_reason(
    rep: RepChat, app: Any, content: bytes, filename: str, message: str
) -> None:
    await rep.send_document(content or b" ", filename)
    assert message in rep.last_text
    with storage_of(app).engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM contact").scalar() == 0


def stored_people(app: Any) -> list[tuple[str, str | None, str | None, str | None]]:
    with storage_of(app).engine.connect() as connection:
        return [
            tuple(row)
            for row in connection.exec_driver_sql(
                "SELECT name, company, phone, email FROM contact ORDER BY name"
            )
        ]


# A sheet whose header names the company but neither the people nor their numbers.
UNNAMED_COLUMNS = (
    "Henkilö;Puh.;Yritys;Asiakasnumero\n"
    "Matti Meikäläinen;040 123 4567;Kone Oy;10231\n"
    "Liisa Virtanen;050 765 4321;Wärtsilä;10232\n"
).encode()


async def test_when_no_header_names_the_names_the_rep_taps_the_column_then_the_phone_column(
    rep: RepChat, app: Any
) -> None:
    await rep.send_document(UNNAMED_COLUMNS, "asiakkaat.csv")
    assert "Which column holds the names?" in rep.last_text
    # The unrecognised columns whose values read as names first, each with its first value; then the rest.
    assert rep.button_labels == [
        "Henkilö · Matti Meikäläinen",
        "Puh. · 040 123 4567",
        "Asiakasnumero · 10231",
        "Yritys · Kone Oy",
        "✖ Cancel",
    ]
    assert stored_people(app) == []
    await rep.press("Henkilö · Matti Meikäläinen")
    preview = rep.last_text
    assert "new contacts: 2" in preview and "Columns found: name (Henkilö), company" in preview
    assert "Not imported: Puh., Asiakasnumero" in preview
    # The phones went unrecognised, and a column's values look like phone numbers: the rep is offered it.
    assert rep.button_labels == ["📥 Import", "👤 Name column", "📞 Phone column", "✖ Cancel"]
    await rep.press("📞 Phone column")
    assert "Which column holds the phone numbers?" in rep.last_text
    assert rep.button_labels == [
        "Puh. · 040 123 4567",
        "Asiakasnumero · 10231",
        "◀ Back",
    ]
    await rep.press("Puh. · 040 123 4567")
    assert "Columns found: name (Henkilö), phone (Puh.), company" in rep.last_text
    assert "Not imported: Asiakasnumero" in rep.last_text
    # The phone picked can be changed: the column it comes from now is marked, first.
    await rep.press("📞 Phone column")
    assert rep.button_labels[0] == "✓ Puh. · 040 123 4567"
    await rep.press("◀ Back")
    await rep.press("📥 Import")
    await wait_for_import(app)
    assert "Imported. New: 2" in rep.last_text
    assert stored_people(app) == [
        ("Liisa Virtanen", "Wärtsilä", "050 765 4321", None),
        ("Matti Meikäläinen", "Kone Oy", "040 123 4567", None),
    ]


async def test_back_from_a_column_choice_and_cancel_leave_the_file_as_it_was(rep: RepChat, app: Any) -> None:
    await rep.send_document(UNNAMED_COLUMNS, "asiakkaat.csv")
    await rep.press("Henkilö · Matti Meikäläinen")
    await rep.press("📞 Phone column")
    await rep.press("◀ Back")
    assert "Columns found: name (Henkilö), company" in rep.last_text and "phone" not in rep.last_text
    await rep.press("✖ Cancel")
    assert "Import cancelled. Nothing was imported." in rep.last_text
    await rep.send_document(UNNAMED_COLUMNS, "asiakkaat.csv")
    await rep.press("✖ Cancel")  # on the choice of the name column
    assert "Import cancelled. Nothing was imported." in rep.last_text
    assert stored_people(app) == []


async def test_a_recognised_file_offers_no_column_choice(rep: RepChat) -> None:
    await rep.send_document(
        b"Name,Phone,Email,Customer number\nAnna,040 1234567,anna@example.com,7\n", "a.csv"
    )
    assert rep.button_labels == ["📥 Import", "✖ Cancel"]


async def test_an_email_column_under_an_unknown_title_is_offered(rep: RepChat, app: Any) -> None:
    await rep.send_document(b"Name;Courriel pro\nJean Dupont;jean@renault.fr\n", "contacts.csv")
    assert rep.button_labels == ["📥 Import", "✉️ E-mail column", "✖ Cancel"]
    await rep.press("✉️ E-mail column")
    await rep.press("Courriel pro · jean@renault.fr")
    await rep.press("📥 Import")
    await wait_for_import(app)
    assert stored_people(app) == [("Jean Dupont", None, None, "jean@renault.fr")]


async def test_column_choices_in_finnish(app: Any, fake: FakeBotAPI, clock: FakeClock) -> None:
    finn = RepChat(app, fake, user_id=5010, first_name="Aino", clock=clock, language_code="fi")
    await finn.send_document(UNNAMED_COLUMNS, "asiakkaat.csv")
    assert "Missä sarakkeessa ovat nimet?" in finn.last_text
    await finn.press("Henkilö · Matti Meikäläinen")
    assert "Tunnistetut sarakkeet: nimi (Henkilö), yritys" in finn.last_text
    assert finn.button_labels == ["📥 Tuo", "👤 Nimisarake", "📞 Puhelinsarake", "✖ Peruuta"]


async def test_column_picks_are_checked_against_the_file_the_rep_and_the_import_state(
    rep: RepChat, other_rep: RepChat, app: Any
) -> None:
    await rep.send_document(UNNAMED_COLUMNS, "asiakkaat.csv")
    batch = rep.button_data("Henkilö · Matti Meikäläinen").split(":")[1]
    expired = "This button has expired. Nothing was changed."
    # A column the file does not have, a column of ours that cannot be picked, another rep's file.
    assert await rep.press_data(f"ip:{batch}:name:4") == expired
    assert await rep.press_data(f"ip:{batch}:company:0") == expired
    await other_rep.send("/export")
    assert await other_rep.press_data(f"ip:{batch}:name:0") == expired
    assert await other_rep.press_data(f"ic:{batch}:phone") == expired
    assert "Which column holds the names?" in rep.last_text
    await rep.press("Henkilö · Matti Meikäläinen")
    await rep.press("📥 Import")
    await wait_for_import(app)
    # Once imported, the file's columns can no longer be changed.
    assert await rep.press_data(f"ip:{batch}:phone:1", message=rep.last) == ALREADY_DONE
    assert [name for name, *_ in stored_people(app)] == ["Liisa Virtanen", "Matti Meikäläinen"]


async def test_another_reps_import_cannot_be_stopped_or_cancelled(
    rep: RepChat, other_rep: RepChat, app: Any
) -> None:
    rows = "\n".join(f"Person {index},Company {index}" for index in range(2_000))
    await rep.send_document(f"Name,Company\n{rows}\n".encode(), "big.csv")
    batch_id = rep.button_data("📥 Import").split(":")[1]
    await rep.press("📥 Import")
    await other_rep.send("/export")
    expired = "This button has expired. Nothing was changed."
    assert await other_rep.press_data(f"im:{batch_id}:stop") == expired
    assert await other_rep.press_data(f"im:{batch_id}:cancel") == expired
    await wait_for_import(app)
    assert "Imported. New: 2000" in rep.last_text


async def test_a_big_import_can_be_stopped_leaving_nothing_then_done(rep: RepChat, app: Any) -> None:
    rows = "\n".join(
        f"Person {index},Company {index % 50},person{index}@example.com" for index in range(5_000)
    )
    await rep.send_document(f"Name,Company,Email\n{rows}\n".encode(), "big.csv")
    assert "new contacts: 5000" in rep.last_text
    preview = rep.last_with_buttons
    import_data = rep.button_data("📥 Import")
    batch_id = import_data.split(":")[1]
    await rep.press("📥 Import")
    # Stop is pressed while the import runs (the import runs beside update processing).
    assert await rep.press_data(f"im:{batch_id}:stop", message=preview) == "Stopping…"
    await wait_for_import(app)
    assert "Import stopped. Nothing was imported." in rep.last_text
    with storage_of(app).engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM contact").scalar() == 0
    await rep.send_document(f"Name,Company,Email\n{rows}\n".encode(), "big.csv")
    await rep.press("📥 Import")
    await wait_for_import(app)
    assert "Imported. New: 5000" in rep.last_text
    with storage_of(app).engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM contact").scalar() == 5_000


async def test_stats_picture_and_numbers(rep: RepChat, fake: FakeBotAPI) -> None:
    await rep.send("/stats")
    assert "No contacts yet" in rep.last_text
    await capture(rep, "Anna Virtanen, Acme Oy", qualified=True)
    await capture(rep, "Pekka Salo, Nokia")
    await capture(rep, "Ola Nordmann, Fjord")
    await rep.send("/find anna")
    await rep.press("1.")
    await rep.press("🏷 Status")
    await rep.press("→ Customer")
    await rep.send("/find ola")
    await rep.press("1.")
    await rep.press("🏷 Status")
    await rep.press("→ Lost")
    await rep.press("Budget")
    await rep.send("/stats")
    [photo] = [call.params["photo"] for call in fake.calls("sendPhoto")]
    assert photo.content.startswith(b"\x89PNG\r\n\x1a\n") and 10_000 < len(photo.content) < 500_000
    text = rep.last.caption or ""
    assert "3 contacts → 1 prospect (33%) → 1 customer (100%) → 0 repeat buyers (0%)" in text
    assert "New customers this month: 1 (last month: 0)" in text
    assert "New contacts this month: 3" in text
    assert "Lost: 1 — Budget (1)" in text


async def test_a_french_rep_is_told_which_values_went_into_the_note(
    app: Any, fake: FakeBotAPI, clock: FakeClock
) -> None:
    claire = RepChat(app, fake, user_id=7301, first_name="Claire", language_code="fr", clock=clock)
    await claire.send("/help")
    await claire.send_document(
        "Nom;Société;Téléphone;Montant de l’affaire\nÉlodie Martin;Renault;pas un numéro;5000\n".encode(),
        "crm.csv",
    )
    assert "• ligne 2 : téléphone non valide ; la valeur va dans la note du contact" in (
        claire.last_text.replace(NBSP, " ")
    )
    await claire.press(claire.button_labels[0])
    await wait_for_import(app)
    await claire.send("/find martin")
    await claire.press("1.")
    card = claire.last_text.replace(NBSP, " ")
    assert "Téléphone: pas un numéro" in card  # under the file's own header
    assert (
        "Affaire : 5\u202f000 €" in card
    )  # the deal, in the rep's currency (a narrow space, as Babel writes)
    assert "Score 0/100\n" in card  # nothing scored yet, and no colon before nothing


async def test_the_import_command_says_to_send_the_file(rep: RepChat) -> None:
    await rep.send("/import")
    assert rep.last_text.startswith("📥 To import, send the CSV file here")
