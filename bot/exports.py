"""Files out of the bot: contacts as CSV (safe to open in a spreadsheet) and vCard, follow-ups as iCalendar,
and everything stored about a rep as JSON.

What a contact's exported row holds is defined once, here (`COLUMNS`, `contact_row`): /export and /mydata
write the same rows. A row reads as the rep reads the card: headers, statuses and answers as words in the
rep's language, times in the rep's zone with its UTC offset (ISO 8601). The headers of the columns an
import reads are ones bot.imports knows in every language, so the bot's own export can be imported again.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import vobject

from bot.deal import to_major
from bot.i18n import Translator
from bot.qualification import given_and_family

# A cell starting with one of these is run as a formula by Excel and LibreOffice (OWASP: CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Year 1904 marks a birthday given without the year (as the card reads it).
NO_YEAR = 1904


@dataclass(frozen=True)
class NoteRecord:
    """A note of the contact's history: when, what kind of event (meeting, call, note, ...), the text."""

    occurred_at: datetime
    kind: str
    text: str


@dataclass(frozen=True)
class ContactRecord:
    """A contact as stored, with its tags, its notes (newest first) and its next follow-up: what an
    exported row is made from. Choices are the stored codes; `contact_row` puts them into words."""

    name: str
    company: str | None
    role: str | None
    phone: str | None
    email: str | None
    status: str
    lost_reason: str | None
    score: int
    source: str | None
    stage: str | None
    need: str | None
    budget: str | None
    authority: str | None
    timeline: str | None
    fit: str | None
    industry: str | None
    location: str | None
    company_size: str | None
    purchase_frequency: str | None
    purchase_volume: str | None
    influence: str | None
    birthday: date | None
    tags: tuple[str, ...]
    notes: tuple[NoteRecord, ...]
    next_follow_up: datetime | None
    last_touch_at: datetime | None
    created_at: datetime
    updated_at: datetime
    # The deal (bot/deal.py): its value in minor units of `currency`, and the month it should close.
    value_minor: int | None = None
    currency: str | None = None
    close_month: date | None = None


# The columns of an exported contact, in order; each header is the catalog's `export.column.<column>`.
COLUMNS = (
    "name", "company", "role", "phone", "email", "status", "lost_reason", "score", "source", "stage",
    "need", "budget", "authority", "timeline", "fit", "industry", "location", "company_size",
    "purchase_frequency", "purchase_volume", "influence", "birthday", "tags", "notes", "next_follow_up",
    "last_touch_at", "created_at", "updated_at", "value", "currency", "close_month",
)  # fmt: skip
# Stored as a code, written as the words the card uses: the capture's answers, then the card's choices.
_ANSWERS = ("source", "need", "budget", "authority", "timeline", "fit")
_CHOICES = ("stage", "company_size", "purchase_frequency", "purchase_volume", "influence")
_TYPED = ("name", "company", "role", "phone", "email", "industry", "location")
_INSTANTS = ("next_follow_up", "last_touch_at", "created_at", "updated_at")


def column_headers(t: Translator) -> tuple[str, ...]:
    """The headers of an exported contact in the rep's language."""
    return tuple(t.plain(f"export.column.{column}") for column in COLUMNS)


def local_iso(instant: datetime, zone: ZoneInfo) -> str:
    """An instant in the rep's zone, ISO 8601 with the offset: "2026-11-26T11:00:00+02:00"."""
    return instant.astimezone(zone).isoformat(timespec="seconds")


def birthday_iso(day: date) -> str:
    """ISO 8601: "1985-03-14", or "--03-14" (as vCard writes it) for a birthday given without the year."""
    return f"--{day:%m-%d}" if day.year == NO_YEAR else day.isoformat()


def notes_text(contact: ContactRecord, t: Translator, zone: ZoneInfo) -> str:
    """The contact's notes, newest first, one per line: when (in the rep's zone), what kind, the note."""
    return "\n".join(
        t.plain(
            "export.note",
            when=note.occurred_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            kind=t.plain(f"history.kind.{note.kind}"),
            note=note.text,
        )
        for note in contact.notes
    )


def contact_values(contact: ContactRecord, t: Translator, zone: ZoneInfo) -> dict[str, str]:
    """The contact's exported values by column, as the rep reads them; empty where nothing is stored."""
    values = {column: getattr(contact, column) or "" for column in _TYPED}
    for column in _ANSWERS:
        code = getattr(contact, column)
        values[column] = t.plain(f"option.{column}.{code}") if code else ""
    for column in _CHOICES:
        code = getattr(contact, column)
        values[column] = t.plain(f"choice.{column}.{code}") if code else ""
    for column in _INSTANTS:
        instant = getattr(contact, column)
        values[column] = local_iso(instant, zone) if instant else ""
    values["status"] = t.plain(f"status.{contact.status}")
    values["lost_reason"] = t.plain(f"lost.{contact.lost_reason}") if contact.lost_reason else ""
    values["score"] = str(contact.score)
    values["birthday"] = birthday_iso(contact.birthday) if contact.birthday else ""
    # ", " between tags, as an import splits them again.
    values["tags"] = ", ".join(contact.tags)
    values["notes"] = notes_text(contact, t, zone)
    # For a spreadsheet, not for reading: the amount with a "." and the currency's decimals ("12000.00"),
    # the ISO 4217 code, the month as ISO 8601 ("2027-03").
    valued = contact.value_minor is not None and contact.currency
    values["value"] = str(to_major(contact.value_minor or 0, contact.currency or "")) if valued else ""
    values["currency"] = (contact.currency or "") if valued else ""
    values["close_month"] = f"{contact.close_month:%Y-%m}" if contact.close_month else ""
    return values


def contact_row(contact: ContactRecord, t: Translator, zone: ZoneInfo) -> dict[str, str]:
    """One exported contact, header -> value, in column order: a row of the CSV, an entry of /mydata."""
    values = contact_values(contact, t, zone)
    return dict(zip(column_headers(t), (values[column] for column in COLUMNS), strict=True))


def safe_cell(value: object) -> str:
    """The cell as text, with a leading apostrophe where a spreadsheet would run it as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def contacts_csv(rows: Iterable[Mapping[str, str]], headers: Sequence[str]) -> bytes:
    """UTF-8 with a byte-order mark, which Excel needs to read Hämäläinen as Hämäläinen."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    for row in rows:
        writer.writerow([safe_cell(row.get(header)) for header in headers])
    return buffer.getvalue().encode("utf-8-sig")


def contacts_vcard(contacts: Iterable[ContactRecord], t: Translator, zone: ZoneInfo) -> bytes:
    """vCard 3.0, one card per contact, for a phone's address book."""
    cards = []
    for contact in contacts:
        card = vobject.vCard()
        name = contact.name
        card.add("fn").value = name
        given, family = given_and_family(name, t.language)  # "Kovács Anna" is Anna of the Kovács
        card.add("n").value = vobject.vcard.Name(family=family, given=given)
        if contact.company:
            card.add("org").value = [contact.company]
        if contact.role:
            card.add("title").value = contact.role
        if contact.phone:
            card.add("tel").value = contact.phone
        if contact.email:
            card.add("email").value = contact.email
        if contact.notes:
            card.add("note").value = notes_text(contact, t, zone)
        cards.append(card.serialize())
    return "".join(cards).encode()


def followups_calendar(followups: Iterable[Mapping[str, object]], *, product: str, now: datetime) -> bytes:
    """An iCalendar file with one 15-minute event per upcoming follow-up (times in UTC)."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", f"-//{product}//EN")
    calendar.add("version", "2.0")
    for followup in followups:
        due = followup["due_at"]
        assert isinstance(due, datetime)
        event = icalendar.Event()
        event.add("uid", f"followup-{followup['id']}@{product.lower().replace(' ', '-')}")
        event.add("dtstamp", now)
        event.add("dtstart", due)
        event.add("duration", timedelta(minutes=15))
        event.add("summary", str(followup["summary"]))
        calendar.add_component(event)
    return bytes(calendar.to_ical())


def rep_data_json(
    *,
    tables: Mapping[str, Sequence[Mapping[str, object]]],
    contacts: Sequence[Mapping[str, str]],
    zone: ZoneInfo,
    now: datetime,
) -> bytes:
    """/mydata's JSON: when it was made, the contacts as exported rows (the same as its CSV), and every
    table's rows of the rep as stored (codes as the bot keeps them, instants in the rep's zone)."""

    def plain(value: object) -> object:
        if isinstance(value, datetime):
            return local_iso(value, zone)
        if isinstance(value, date):
            return value.isoformat()
        return value

    document = {
        "exported_at": local_iso(now, zone),
        "time_zone": zone.key,
        "contacts": list(contacts),
        "stored": {
            table: [{column: plain(value) for column, value in row.items()} for row in rows]
            for table, rows in tables.items()
        },
    }
    return json.dumps(document, ensure_ascii=False, indent=2).encode()
