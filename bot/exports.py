"""Files out of the bot: contacts as CSV (safe to open in a spreadsheet) and vCard, follow-ups as iCalendar.

Pure functions over plain rows, so that /export and /mydata write the same formats.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

import icalendar
import vobject

CONTACT_COLUMNS = (
    "name", "company", "role", "phone", "email", "status", "lost_reason", "score", "source", "stage",
    "need", "budget", "authority", "timeline", "fit", "industry", "location", "company_size", "birthday",
    "tags", "next_follow_up", "created_at", "updated_at",
)  # fmt: skip
# A cell starting with one of these is run as a formula by Excel and LibreOffice (OWASP: CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """The cell as text, with a leading apostrophe where a spreadsheet would run it as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def contacts_csv(contacts: Iterable[Mapping[str, object]]) -> bytes:
    """UTF-8 with a byte-order mark, which Excel needs to read Hämäläinen as Hämäläinen."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CONTACT_COLUMNS)
    for contact in contacts:
        writer.writerow([safe_cell(contact.get(column)) for column in CONTACT_COLUMNS])
    return buffer.getvalue().encode("utf-8-sig")


def contacts_vcard(contacts: Iterable[Mapping[str, object]]) -> bytes:
    """vCard 3.0, one card per contact, for a phone's address book."""
    cards = []
    for contact in contacts:
        card = vobject.vCard()
        name = str(contact.get("name") or "")
        card.add("fn").value = name
        given, _, family = name.rpartition(" ") if " " in name else ("", "", name)
        card.add("n").value = vobject.vcard.Name(family=family, given=given)
        if contact.get("company"):
            card.add("org").value = [str(contact["company"])]
        if contact.get("role"):
            card.add("title").value = str(contact["role"])
        if contact.get("phone"):
            card.add("tel").value = str(contact["phone"])
        if contact.get("email"):
            card.add("email").value = str(contact["email"])
        if contact.get("note"):
            card.add("note").value = str(contact["note"])
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
