"""Files from the CRMs and address books reps leave: a header row as each one exports it, read into the
bot's columns; Excel's `sep=` first line; a row's first non-empty phone and e-mail among several columns."""

from __future__ import annotations

import pytest

from bot import imports
from bot.crm_headers import CRM_HEADERS
from bot.text_keys import search_key

# (header row as exported, one row of values) -> what the bot reads.
SAMPLES = {
    "pipedrive": (
        "Person - ID,Person - Name,Person - Label,Person - Organization,Person - Email - Work,"
        "Person - Email - Home,Person - Phone - Work,Person - Phone - Mobile,Person - First name,"
        "Person - Last name,Person - Job title",
        "17,Anna Virtanen,Hot lead,Acme Oy,,anna@koti.fi,+358 9 123 4567,+358 40 123 4567,Anna,Virtanen,CTO",
    ),
    "google contacts": (
        "First Name,Middle Name,Last Name,Nickname,E-mail 1 - Label,E-mail 1 - Value,Phone 1 - Label,"
        "Phone 1 - Value,Address 1 - City,Organization Name,Organization Title,Notes,Labels",
        "Anna,,Virtanen,,* Work,anna@acme.fi,Mobile,+358 40 123 4567,Espoo,Acme Oy,CTO,Met at Slush,vip",
    ),
    "outlook": (
        "First Name,Middle Name,Last Name,Title,Suffix,Company,Department,Job Title,Business City,"
        "Business Phone,Business Phone 2,Mobile Phone,Home Phone,E-mail Address,E-mail 2 Address,Notes,"
        "Categories",
        "Anna,,Virtanen,Ms.,,Acme Oy,IT,CTO,Espoo,,,+358 40 123 4567,,anna@acme.fi,,Met at Slush,vip",
    ),
    "hubspot": (
        "Record ID,First Name,Last Name,Email,Phone Number,Mobile Phone Number,Company Name,Job Title,City,"
        "Lifecycle Stage,Original Source",
        "501,Anna,Virtanen,anna@acme.fi,,+358 40 123 4567,Acme Oy,CTO,Espoo,Lead,Referral",
    ),
    "odoo": (
        "Name,Related Company,Job Position,Email,Phone,Mobile,City,Tags",
        "Anna Virtanen,Acme Oy,CTO,anna@acme.fi,,+358 40 123 4567,Espoo,vip",
    ),
    "salesforce": (
        "First Name,Last Name,Title,Account Name,Phone,Mobile,Email,Mailing City,Lead Source,Description",
        "Anna,Virtanen,CTO,Acme Oy,,+358 40 123 4567,anna@acme.fi,Espoo,Referral,Met at Slush",
    ),
}


@pytest.mark.parametrize("crm", sorted(SAMPLES))
def test_a_header_row_of_each_crm_is_read(crm: str) -> None:
    header, values = SAMPLES[crm]
    [row] = imports.parse(f"{header}\n{values}\n".encode()).rows
    assert row.name == "Anna Virtanen"
    assert row.company == "Acme Oy"
    assert row.phone is not None and row.phone.replace(" ", "") in ("+358401234567", "+35891234567")
    if crm != "pipedrive":
        assert row.role == "CTO"
        assert row.email == "anna@acme.fi"
    if crm in ("google contacts", "outlook", "hubspot", "odoo", "salesforce"):
        assert row.location == "Espoo"


def test_every_crm_in_the_table_has_a_sample() -> None:
    assert set(CRM_HEADERS) == set(SAMPLES)


def test_pipedrive_s_work_email_empty_gives_the_home_one() -> None:
    header, values = SAMPLES["pipedrive"]
    [row] = imports.parse(f"{header}\n{values}\n".encode()).rows
    assert row.email == "anna@koti.fi"
    assert row.role == "CTO"
    assert row.phone == "+358 40 123 4567"  # the mobile, before the work line


def test_google_contacts_keeps_email_and_phone() -> None:
    header, values = SAMPLES["google contacts"]
    parsed = imports.parse(f"{header}\n{values}\n".encode())
    assert parsed.columns["email"] == "E-mail 1 - Value"
    assert parsed.columns["phone"] == "Phone 1 - Value"
    assert parsed.rows[0].tags == ("vip",)
    assert parsed.rows[0].note == "Met at Slush"


def test_outlook_s_salutation_is_not_the_role() -> None:
    header, values = SAMPLES["outlook"]
    parsed = imports.parse(f"{header}\n{values}\n".encode())
    assert parsed.columns["role"] == "Job Title"
    assert parsed.rows[0].role == "CTO"


def test_odoo_s_mobile_fills_in_when_phone_is_empty_and_phone_wins_when_set() -> None:
    data = "Name,Phone,Mobile\nAnna Virtanen,,+358 40 123 4567\nBruno Berg,+47 22 33 44 55,+47 912 34 567\n"
    rows = imports.parse(data.encode()).rows
    assert [row.phone for row in rows] == ["+358 40 123 4567", "+47 22 33 44 55"]


def test_the_first_non_empty_of_several_email_columns_is_taken() -> None:
    data = "Name,E-mail 1 - Value,E-mail 2 - Value\nAnna,,anna@acme.fi\nBruno,bruno@berg.no,b@x.no\nCarl,,\n"
    rows = imports.parse(data.encode()).rows
    assert [row.email for row in rows] == ["anna@acme.fi", "bruno@berg.no", None]


@pytest.mark.parametrize(
    ("first_line", "separator"), [("sep=;", ";"), ("SEP=,", ","), ("sep=\t", "\t"), ("sep=|", "|")]
)
def test_excel_s_sep_line_names_the_separator_and_is_not_the_header(first_line: str, separator: str) -> None:
    company = "Acme; Oy" if separator == "," else "Acme, Oy"
    header = separator.join(["Name", "Company"])
    data = f"\ufeff{first_line}\r\n{header}\r\nAnna Virtanen{separator}{company}\r\n".encode()
    parsed = imports.parse(data)
    assert parsed.columns == {"name": "Name", "company": "Company"}
    assert [(row.name, row.company) for row in parsed.rows] == [("Anna Virtanen", company)]


def test_every_name_in_the_table_is_folded_as_headers_are() -> None:
    for columns in CRM_HEADERS.values():
        for column, aliases in columns.items():
            assert column in imports.HEADERS
            for alias in aliases:
                assert search_key(alias) == alias, alias
