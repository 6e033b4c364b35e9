"""Reading a CSV: the words the bot's own export writes (headers, sources) in every language, and its
cells as they were before the formula guard."""

from __future__ import annotations

import pytest

from bot import imports
from bot.config import SUPPORTED_LANGUAGES
from bot.exports import COLUMNS, column_headers, contacts_csv
from bot.i18n import Translator


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_every_source_word_is_read_as_its_code(language: str) -> None:
    t = Translator(language)
    for code in ("meeting", "event", "referral", "inbound", "cold_call", "list", "other"):
        assert imports.source_code(t.plain(f"option.source.{code}")) == code, code
        assert imports.source_code(code) == code


def test_a_source_the_bot_does_not_know_is_kept_folded_and_an_empty_one_is_none() -> None:
    assert imports.source_code("LinkedIn ") == "linkedin"  # storage files it as "other"
    assert imports.source_code("  ") is None


@pytest.mark.parametrize("header", ["Helyszín", "Localisation", "Sijainti", "Sted", "Location"])
def test_a_location_header_of_each_language_is_read(header: str) -> None:
    parsed = imports.parse(f"Name;{header}\nAnna;Espoo\n".encode())
    assert parsed.columns == {"name": "Name", "location": header}
    assert parsed.rows[0].location == "Espoo"


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_an_export_reads_back_without_the_guard_apostrophes(language: str) -> None:
    headers = column_headers(Translator(language))
    name, company, phone, tags = (
        headers[COLUMNS.index(column)] for column in ("name", "company", "phone", "tags")
    )
    row = {name: "@Aino Hämäläinen", company: "=Kone", phone: "+358 45 712 3394", tags: "-vip"}
    [read] = imports.parse(contacts_csv([row], headers)).rows
    assert (read.name, read.company, read.phone, read.tags) == (
        "@Aino Hämäläinen",
        "=Kone",
        "+358 45 712 3394",
        ("-vip",),
    )


@pytest.mark.parametrize("cell", ["'Tis Oy", "O'Brien", "'", "''+358", "'Kone"])
def test_an_apostrophe_the_exporter_did_not_add_is_kept(cell: str) -> None:
    assert imports.unguarded(cell) == cell


@pytest.mark.parametrize("prefix", ["=", "+", "-", "@"])
def test_the_guard_goes_before_each_formula_prefix(prefix: str) -> None:
    assert imports.unguarded(f"'{prefix}1+1") == f"{prefix}1+1"


def test_without_a_name_header_the_columns_to_pick_from_are_given_with_a_value_each() -> None:
    with pytest.raises(imports.NoNameColumn) as raised:
        imports.parse(b"Kontakt;Telefon;Notat\n;;\nKari Nordmann;912 34 567;\n;;ringte\n")
    assert [(column.header, column.sample, column.used_for) for column in raised.value.columns] == [
        ("Kontakt", "Kari Nordmann", None),
        ("Telefon", "912 34 567", "phone"),
        ("Notat", "ringte", "note"),
    ]


def test_a_picked_column_is_read_as_the_names_and_phones() -> None:
    parsed = imports.parse(b"Kontakt;Tlf.;Firma\nKari Nordmann;912 34 567;Equinor\n", {"name": 0, "phone": 1})
    assert parsed.columns == {"name": "Kontakt", "phone": "Tlf.", "company": "Firma"}
    assert [(row.name, row.phone, row.company) for row in parsed.rows] == [
        ("Kari Nordmann", "912 34 567", "Equinor")
    ]


def test_a_pick_past_the_last_column_or_of_another_column_is_ignored() -> None:
    with pytest.raises(imports.NoNameColumn):
        imports.parse(b"Kontakt;Firma\nKari;Equinor\n", {"name": 7})
    parsed = imports.parse(b"Name;Firma\nKari;Equinor\n", {"company": 0})
    assert parsed.columns == {"name": "Name", "company": "Firma"}


def test_choices_put_unrecognised_columns_that_look_like_the_column_first() -> None:
    columns = imports.parse(
        b"Name;Kundenummer;Mail;Firma;Tom\nAnna;10231;anna@example.com;Kone;\n"
    ).file_columns
    assert [column.header for column in imports.choices(columns, "email")] == ["Mail", "Kundenummer"]
    assert [column.header for column in imports.choices(columns, "phone")] == ["Kundenummer", "Mail"]
    # A name may come from a recognised column too (the company's, say), after the unrecognised ones.
    assert [column.header for column in imports.choices(columns, "name")] == [
        "Name",  # where the names come from now, first
        "Kundenummer",
        "Mail",
        "Firma",
    ]


def test_a_column_of_dates_is_not_offered_as_the_phone_nor_taken_for_a_header() -> None:
    parsed = imports.parse(b"Nimi;Tavattu\nAino Virtanen;05.11.2026\n")
    assert "phone" not in imports.to_ask(parsed, {})
    # Without a header, a day in the first row is a contact's, as a number or an address would be.
    [first] = imports.parse(b"Aino Virtanen;2026-11-05\n", {"name": 0}).rows
    assert first.name == "Aino Virtanen"


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("phone", "+47 912 34 567", True),
        ("phone", "(06) 1-234-5678", True),
        ("phone", "10231", False),
        # A day in any of the languages' forms is a date, not a number to call.
        ("phone", "2026-11-05", False),
        ("phone", "05.11.2026", False),
        ("phone", "11/05/2026", False),
        ("phone", "2026. 11. 05.", False),
        ("phone", "05.11.26", False),
        ("phone", "2026/11/05", False),
        ("phone", "040 123 4567", True),
        ("phone", "12.34.5678", True),
        ("phone", "Kari", False),
        ("email", "kari@equinor.no", True),
        ("email", "kari at equinor", False),
        ("name", "Kari Nordmann", True),
        ("name", "kari@equinor.no", False),
        ("name", "10231", False),
    ],
)
def test_what_a_value_looks_like(column: str, value: str, expected: bool) -> None:
    assert imports.looks_like(column, value) is expected


def test_a_file_without_a_header_keeps_its_first_contact() -> None:
    data = b"Anna Virtanen,anna@acme.fi,040 1234567\nBob Smith,bob@example.com,050 7654321\n"
    with pytest.raises(imports.NoNameColumn) as raised:
        imports.parse(data)
    first = raised.value.columns[0]
    assert (first.header, first.sample) == ("", "Anna Virtanen")
    parsed = imports.parse(data, {"name": 0, "email": 1, "phone": 2})
    assert [(row.line, row.name, row.email, row.phone) for row in parsed.rows] == [
        (1, "Anna Virtanen", "anna@acme.fi", "040 1234567"),
        (2, "Bob Smith", "bob@example.com", "050 7654321"),
    ]


def test_google_contacts_several_values_in_a_cell_give_the_first_and_its_own_labels_are_left_out() -> None:
    parsed = imports.parse(
        b"First Name,Last Name,E-mail 1 - Value,Phone 1 - Value,Labels\n"
        b"Anna,Virtanen,anna@acme.fi ::: anna.v@gmail.com,"
        b"+358 40 1234567 ::: +358 9 123,* myContacts ::: VIP\n"
    )
    [row] = parsed.rows
    assert (row.email, row.phone, row.tags) == ("anna@acme.fi", "+358 40 1234567", ("VIP",))
    assert not parsed.invalid


HUBSPOT = (
    "\ufeffFull Name;Organisation;Mobile Phone;E-mail Address;Deal Value;Notes\n"
    "Anna Virtanen;Acme Oy;040 123 4567;anna@acme.fi;12 000 €;met at the fair\n"
    "Bob Smith;Widgets;not a phone;bob(at)widgets;lots;\n"
    ";NoName Corp;;;;\n"
).encode()


def test_a_value_the_bot_cannot_use_is_kept_in_the_note_and_the_person_imported() -> None:
    parsed = imports.parse(HUBSPOT, currency="EUR")
    anna, bob = parsed.rows
    # With no currency column the deal is in the rep's currency, as a value they type is.
    assert (anna.value_minor, anna.currency, anna.note) == (1_200_000, "EUR", "met at the fair")
    assert (bob.name, bob.company, bob.phone, bob.email, bob.value_minor) == (
        "Bob Smith",
        "Widgets",
        None,
        None,
        None,
    )
    # Under the file's own headers, as the file has them.
    assert bob.note == "Mobile Phone: not a phone\nE-mail Address: bob(at)widgets\nDeal Value: lots"
    assert [(row.line, row.reason) for row in parsed.kept] == [(3, "phone"), (3, "email"), (3, "value")]
    assert [(row.line, row.reason) for row in parsed.invalid] == [(4, "no_name")]


def test_a_deal_value_in_another_currency_than_the_reps_is_kept_in_the_note() -> None:
    parsed = imports.parse(b"Name,Deal value\nKari Nordmann,40 000 kr\n", currency="EUR")
    [kari] = parsed.rows
    assert (kari.value_minor, kari.note) == (None, "Deal value: 40 000 kr")
    assert [(row.line, row.reason) for row in parsed.kept] == [(2, "value")]


def test_a_usable_number_or_address_in_a_later_column_wins_over_a_bad_first_one() -> None:
    parsed = imports.parse(
        b"Name,Phone,Mobile,E-mail\nAnna Virtanen,n/a,040 123 4567,bad ::: anna@acme.fi\n", currency="EUR"
    )
    [anna] = parsed.rows
    assert (anna.phone, anna.email, anna.note, parsed.kept) == ("040 123 4567", "anna@acme.fi", None, [])


def test_a_zero_deal_value_is_no_deal_and_one_in_an_unknown_currency_is_kept_with_it() -> None:
    parsed = imports.parse(b"Name,Amount,Currency\nAnna,0.00,EUR\nBob,90000,XYZ\n", currency="EUR")
    anna, bob = parsed.rows
    assert (anna.value_minor, anna.note) == (None, None)
    assert (bob.value_minor, bob.note) == (None, "Amount: 90000 XYZ")
    assert [(row.line, row.reason) for row in parsed.kept] == [(3, "value")]


def test_a_long_note_of_the_file_leaves_room_for_the_values_kept_in_it() -> None:
    long_note = "word " * 400
    parsed = imports.parse(f"Name,Phone,Notes\nAnna,n/a,{long_note}\n".encode(), currency="EUR")
    [anna] = parsed.rows
    assert anna.note is not None and len(anna.note) <= imports.NOTE_MAX
    assert anna.note.endswith("\nPhone: n/a")


def test_a_headerless_file_names_a_kept_value_by_its_column() -> None:
    parsed = imports.parse(
        b"Anna Virtanen,+358 40 123 4567,anna(at)acme.fi\n", picked={"name": 0, "email": 2}, currency="EUR"
    )
    [anna] = parsed.rows
    assert (anna.name, anna.note) == ("Anna Virtanen", "email: anna(at)acme.fi")
